// A scratch file per fuzzing process: the record loader and the history store read paths, so each
// input is written to one file (in /dev/shm when it exists: no disk traffic) and read back.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace tpb::fuzz {

inline std::filesystem::path scratch_path(const std::string& stem) {
  const std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                        ? "/dev/shm"
                                        : std::filesystem::temp_directory_path();
  return dir / ("tpb-fuzz-" + stem + "-" + std::to_string(::getpid()));
}

inline void write_file(const std::filesystem::path& path, const std::uint8_t* data,
                       std::size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

}  // namespace tpb::fuzz
