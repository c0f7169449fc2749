// pthread: one pthread per system thread. Affinity and scheduling go into the thread's attributes,
// so the new thread never runs a single instruction unpinned or at the wrong priority.
#pragma once

#include <memory>

#include <tpb/backend.hpp>

namespace tpb {

Capabilities pthread_capabilities();
std::unique_ptr<ThreadBackend> make_pthread_backend(const BackendOptions& options,
                                                    const Topology& topology);

}  // namespace tpb
