// The I/O manager of one runtime: driver and device objects, the references IoCreateSystemThread
// threads hold on them (behaviours 46-49), and the PsCreateSystemThread threads a driver's code
// created, which an unload must not outlive (behaviour 49, bug check 0xCE). One mutex guards the
// driver and device sets, every device's `deleted` flag and every driver's `ps_threads`.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>
#include <vector>

#include <systhread/wdm.h>

#include "contract/accounting.hpp"
#include "contract/objects.hpp"

namespace tpb::detail {

class IoManager {
 public:
  // `unload_report_after`: how long an unload waits for IoCreateSystemThread threads before it
  // says (even with the verifier off) what it is waiting for.
  IoManager(Accounting& accounting, std::chrono::milliseconds unload_report_after);

  DriverRecord* new_driver();
  // Deletes the driver's remaining devices with it.
  void free_driver(DriverRecord* driver);
  bool is_driver(const void* p);
  bool is_device(const void* p);  // and not deleted
  NTSTATUS create_device(DriverRecord& driver, ULONG extension_size, ULONG type,
                         ULONG characteristics, PDEVICE_OBJECT* out);
  // Unlinks the device; its storage goes when the last thread reference on it does.
  void delete_device(DeviceRecord* device);

  // The reference an IoCreateSystemThread thread will hold: on a driver, or on a device and
  // through it its driver. Bug check 0x148 when `io_object` is neither (behaviour 47).
  IoReference reference_for(void* io_object);
  // Taken only once the thread is sure to be launched and dropped when its routine has returned
  // (behaviour 46); a failed creation leaves the count unchanged (behaviour 48; docs/contracts.md
  // section 6, decision 7).
  void take_reference(const IoReference& ref);
  void drop_reference(const IoReference& ref);
  // Unload: waits until no IoCreateSystemThread thread holds the driver (behaviour 49).
  void wait_references(DriverRecord& driver);

  // PsCreateSystemThread threads created by code of `driver`.
  void add_ps_thread(DriverRecord& driver, ThreadRecord* thread);
  void remove_ps_thread(DriverRecord& driver, ThreadRecord* thread);
  std::vector<ThreadRecord*> live_ps_threads(DriverRecord& driver);

  std::size_t driver_count();

 private:
  Accounting& accounting_;
  const std::chrono::milliseconds unload_report_after_;
  std::mutex mutex_;
  std::condition_variable released_;  // a driver's last IoCreateSystemThread reference went
  std::set<DriverRecord*> drivers_;
  std::set<DeviceRecord*> devices_;
};

}  // namespace tpb::detail
