#include "contract/io_manager.hpp"

#include <atomic>
#include <new>
#include <string>

#include "contract/bugcheck.hpp"

namespace tpb::detail {

IoManager::IoManager(Accounting& accounting, std::chrono::milliseconds unload_report_after)
    : accounting_(accounting), unload_report_after_(unload_report_after) {}

DriverRecord* IoManager::new_driver() {
  auto* driver = new DriverRecord;
  driver->object.Type = IO_TYPE_DRIVER;
  driver->object.Size = sizeof(DRIVER_OBJECT);
  std::lock_guard lock(mutex_);
  drivers_.insert(driver);
  accounting_.object_created();
  return driver;
}

void IoManager::free_driver(DriverRecord* driver) {
  std::vector<DeviceRecord*> devices;
  {
    std::lock_guard lock(mutex_);
    drivers_.erase(driver);
    for (PDEVICE_OBJECT d = driver->object.DeviceObject; d != nullptr; d = d->NextDevice)
      devices.push_back(reinterpret_cast<DeviceRecord*>(d));
  }
  for (DeviceRecord* device : devices) delete_device(device);
  delete driver;
  accounting_.object_destroyed();
}

bool IoManager::is_driver(const void* p) {
  std::lock_guard lock(mutex_);
  return drivers_.count(static_cast<DriverRecord*>(const_cast<void*>(p))) != 0;
}

bool IoManager::is_device(const void* p) {
  std::lock_guard lock(mutex_);
  auto* device = static_cast<DeviceRecord*>(const_cast<void*>(p));
  return devices_.count(device) != 0 && !device->deleted;
}

NTSTATUS IoManager::create_device(DriverRecord& driver, ULONG extension_size, ULONG type,
                                  ULONG characteristics, PDEVICE_OBJECT* out) {
  auto* device = new (std::nothrow) DeviceRecord;
  if (device == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  if (extension_size != 0) {
    device->extension = zeroed_extension(extension_size);
    if (!device->extension) {
      delete device;
      return STATUS_INSUFFICIENT_RESOURCES;
    }
  }
  device->driver = &driver;
  DEVICE_OBJECT& object = device->object;
  object.Type = IO_TYPE_DEVICE;
  object.Size = static_cast<USHORT>(sizeof(DEVICE_OBJECT));
  object.DriverObject = &driver.object;
  object.DeviceExtension = device->extension.get();
  object.DeviceType = type;
  object.Characteristics = characteristics;
  object.StackSize = 1;
  std::lock_guard lock(mutex_);
  object.NextDevice = driver.object.DeviceObject;
  driver.object.DeviceObject = &object;
  devices_.insert(device);
  accounting_.object_created();
  *out = &object;
  return STATUS_SUCCESS;
}

void IoManager::delete_device(DeviceRecord* device) {
  bool free_now = false;
  {
    std::lock_guard lock(mutex_);
    if (device->deleted || devices_.count(device) == 0) return;
    device->deleted = true;
    DRIVER_OBJECT& driver = device->driver->object;
    for (PDEVICE_OBJECT* link = &driver.DeviceObject; *link != nullptr;
         link = &(*link)->NextDevice) {
      if (*link == &device->object) {
        *link = device->object.NextDevice;
        break;
      }
    }
    free_now = std::atomic_ref<LONG>(device->object.ReferenceCount).load() == 0;
    if (free_now) devices_.erase(device);
  }
  if (free_now) {
    delete device;
    accounting_.object_destroyed();
  }
}

IoReference IoManager::reference_for(void* io_object) {
  std::lock_guard lock(mutex_);
  if (auto* driver = static_cast<DriverRecord*>(io_object); drivers_.count(driver) != 0)
    return {driver, nullptr};
  auto* device = static_cast<DeviceRecord*>(io_object);
  if (devices_.count(device) != 0 && !device->deleted) return {device->driver, device};
  bug_check(BugCheck::invalid_io_object,
            "IoCreateSystemThread was given an IoObject that is neither a driver nor a device "
            "object");
}

void IoManager::take_reference(const IoReference& ref) {
  ref.driver->io_references.fetch_add(1);
  if (ref.device != nullptr) std::atomic_ref<LONG>(ref.device->object.ReferenceCount).fetch_add(1);
}

void IoManager::drop_reference(const IoReference& ref) {
  // A device deleted while a thread held it is freed by the last reference.
  if (ref.device != nullptr &&
      std::atomic_ref<LONG>(ref.device->object.ReferenceCount).fetch_sub(1) == 1) {
    bool free_now = false;
    {
      std::lock_guard lock(mutex_);
      if (ref.device->deleted && devices_.erase(ref.device) != 0) free_now = true;
    }
    if (free_now) {
      delete ref.device;
      accounting_.object_destroyed();
    }
  }
  if (ref.driver->io_references.fetch_sub(1) == 1) {
    std::lock_guard lock(mutex_);
    released_.notify_all();
  }
}

void IoManager::wait_references(DriverRecord& driver) {
  std::unique_lock lock(mutex_);
  auto done = [&] { return driver.io_references.load() == 0; };
  if (released_.wait_for(lock, unload_report_after_, done)) return;
  lock.unlock();
  accounting_.report("SysThreadUnloadDriver waits for " +
                         std::to_string(driver.io_references.load()) +
                         " IoCreateSystemThread thread(s) still holding the driver",
                     true);
  lock.lock();
  released_.wait(lock, done);
}

void IoManager::add_ps_thread(DriverRecord& driver, ThreadRecord* thread) {
  std::lock_guard lock(mutex_);
  driver.ps_threads.insert(thread);
}

void IoManager::remove_ps_thread(DriverRecord& driver, ThreadRecord* thread) {
  std::lock_guard lock(mutex_);
  driver.ps_threads.erase(thread);
}

std::vector<ThreadRecord*> IoManager::live_ps_threads(DriverRecord& driver) {
  std::lock_guard lock(mutex_);
  return {driver.ps_threads.begin(), driver.ps_threads.end()};
}

std::size_t IoManager::driver_count() {
  std::lock_guard lock(mutex_);
  return drivers_.size();
}

}  // namespace tpb::detail
