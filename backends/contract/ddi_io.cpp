// DDI: devices, processes, and the harness (the emulated I/O manager around a driver).
#include <systhread/harness.h>
#include <systhread/wdm.h>

#include <string>

#include "contract/bugcheck.hpp"
#include "contract/current.hpp"
#include "contract/runtime_state.hpp"

using namespace tpb::detail;

namespace tpb::detail {
NTSTATUS select_default_backend(const char* name);
}

namespace {

// Sets the driver whose code runs on this host thread for the length of a call, so threads it
// creates are attributed to it (bug check 0xCE at unload).
class DriverCodeScope {
 public:
  explicit DriverCodeScope(DriverRecord* driver) : saved_(host_context().driver) {
    host_context().driver = driver;
  }
  ~DriverCodeScope() { host_context().driver = saved_; }
  DriverCodeScope(const DriverCodeScope&) = delete;
  DriverCodeScope& operator=(const DriverCodeScope&) = delete;

 private:
  DriverRecord* saved_;
};

WCHAR g_registry_path[] = {'\\', 'R', 'e', 'g', 'i', 's',  't', 'r', 'y', '\\', 'M', 'a',
                           'c',  'h', 'i', 'n', 'e', '\\', 'S', 'y', 's', 't',  'e', 'm',
                           '\\', 's', 'y', 's', 't', 'h',  'r', 'e', 'a', 'd',  0};

}  // namespace

extern "C" {

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                        PUNICODE_STRING DeviceName, ULONG DeviceType, ULONG DeviceCharacteristics,
                        BOOLEAN Exclusive, PDEVICE_OBJECT* DeviceObject) {
  (void)DeviceName, (void)Exclusive;
  RuntimeState& runtime = current_runtime();
  if (DeviceObject == nullptr || !runtime.io().is_driver(DriverObject))
    return STATUS_INVALID_PARAMETER;
  return runtime.io().create_device(*reinterpret_cast<DriverRecord*>(DriverObject),
                                    DeviceExtensionSize, DeviceType, DeviceCharacteristics,
                                    DeviceObject);
}

VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject) {
  RuntimeState& runtime = current_runtime();
  if (runtime.io().is_device(DeviceObject))
    runtime.io().delete_device(reinterpret_cast<DeviceRecord*>(DeviceObject));
}

NTSTATUS ZwTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus) {
  if (ProcessHandle == nullptr || ProcessHandle == NtCurrentProcess()) return STATUS_ACCESS_DENIED;
  RuntimeState& runtime = current_runtime();
  KernelObject* object = runtime.handles().reference(ProcessHandle, nullptr);
  if (object == nullptr) return STATUS_INVALID_HANDLE;
  ProcessRecord* process = as_process(object);
  NTSTATUS status = process == nullptr ? STATUS_OBJECT_TYPE_MISMATCH
                                       : runtime.processes().terminate(*process, ExitStatus);
  release(object);
  return status;
}

// ---- Harness
// --------------------------------------------------------------------------------------

NTSTATUS SysThreadSelectBackend(const char* Name) {
  return select_default_backend(Name);
}

NTSTATUS SysThreadLoadDriver(PDRIVER_INITIALIZE DriverEntry, PDRIVER_OBJECT* DriverObject) {
  if (DriverEntry == nullptr || DriverObject == nullptr) return STATUS_INVALID_PARAMETER;
  RuntimeState& runtime = current_runtime();
  DriverRecord* driver = runtime.io().new_driver();
  UNICODE_STRING registry_path;
  registry_path.Buffer = g_registry_path;
  registry_path.Length = static_cast<USHORT>(sizeof g_registry_path - sizeof(WCHAR));
  registry_path.MaximumLength = static_cast<USHORT>(sizeof g_registry_path);
  driver->object.DriverInit = DriverEntry;
  NTSTATUS status;
  {
    DriverCodeScope scope(driver);
    status = DriverEntry(&driver->object, &registry_path);
  }
  if (!NT_SUCCESS(status)) {
    runtime.io().free_driver(driver);
    return status;
  }
  *DriverObject = &driver->object;
  return STATUS_SUCCESS;
}

NTSTATUS SysThreadUnloadDriver(PDRIVER_OBJECT DriverObject) {
  RuntimeState& runtime = current_runtime();
  if (!runtime.io().is_driver(DriverObject)) return STATUS_INVALID_PARAMETER;
  auto* driver = reinterpret_cast<DriverRecord*>(DriverObject);
  if (DriverObject->DriverUnload != nullptr) {
    DriverCodeScope scope(driver);
    DriverObject->DriverUnload(DriverObject);
  }
  std::vector<ThreadRecord*> running = runtime.io().live_ps_threads(*driver);
  if (!running.empty())
    bug_check(BugCheck::driver_unloaded_without_cancelling_pending_operations,
              "driver unloaded while " + std::to_string(running.size()) +
                  " of its PsCreateSystemThread threads still run (first: thread " +
                  std::to_string(running.front()->id) + ")");
  runtime.io().wait_references(*driver);
  runtime.io().free_driver(driver);
  return STATUS_SUCCESS;
}

NTSTATUS SysThreadCreateAdapter(ULONG DeviceExtensionSize, PVOID* HwDeviceExtension) {
  if (HwDeviceExtension == nullptr) return STATUS_INVALID_PARAMETER;
  AdapterRecord* adapter = current_runtime().adapters().create(DeviceExtensionSize);
  if (adapter == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  *HwDeviceExtension = adapter->extension.get();
  return STATUS_SUCCESS;
}

NTSTATUS SysThreadDestroyAdapter(PVOID HwDeviceExtension) {
  if (HwDeviceExtension == nullptr) return STATUS_INVALID_PARAMETER;
  return current_runtime().adapters().destroy(HwDeviceExtension);
}

NTSTATUS SysThreadCreateProcess(PHANDLE ProcessHandle) {
  if (ProcessHandle == nullptr) return STATUS_INVALID_PARAMETER;
  RuntimeState& runtime = current_runtime();
  ProcessRecord* process = runtime.processes().create();
  if (process == nullptr) return STATUS_INSUFFICIENT_RESOURCES;
  HANDLE handle = runtime.handles().insert(process, PROCESS_ALL_ACCESS);
  if (handle == nullptr) {
    release(process);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  *ProcessHandle = handle;
  return STATUS_SUCCESS;
}

}  // extern "C"
