/*
 * <systhread/harness.h> - the emulated I/O manager and environment around a driver.
 *
 * What Windows itself would do for a driver: load and unload it, create StorPort adapters and
 * user processes, and choose the backend that runs system threads. Acts on the calling thread's
 * runtime, as <systhread/wdm.h> does. Thread-safe.
 */
#ifndef SYSTHREAD_HARNESS_H
#define SYSTHREAD_HARNESS_H

#include <systhread/wdm.h>

SYSTHREAD_BEGIN_DECLS

/* Chooses the backend of the process default runtime by registry name ("pthread", "std_thread",
   "pool", "tbb"). STATUS_OBJECT_NAME_NOT_FOUND for an unknown name; STATUS_INVALID_DEVICE_STATE
   while the default runtime has live threads or open handles. Overrides SYSTHREAD_BACKEND. */
NTKERNELAPI NTSTATUS SysThreadSelectBackend(const char* Name);

/* Creates a driver object, calls DriverEntry with it and, on success, returns it. When DriverEntry
   fails, the object (and any device it created) is freed and its status returned. */
NTKERNELAPI NTSTATUS SysThreadLoadDriver(PDRIVER_INITIALIZE DriverEntry,
                                         PDRIVER_OBJECT* DriverObject);

/* Calls DriverUnload, then returns only after every thread holding a reference on the driver or
   its devices (IoCreateSystemThread) has exited, and frees the driver. A thread the driver created
   with PsCreateSystemThread still running after DriverUnload returns is bug check 0xCE. */
NTKERNELAPI NTSTATUS SysThreadUnloadDriver(PDRIVER_OBJECT DriverObject);

/* Creates a StorPort adapter with a zeroed device extension of DeviceExtensionSize bytes. */
NTKERNELAPI NTSTATUS SysThreadCreateAdapter(ULONG DeviceExtensionSize, PVOID* HwDeviceExtension);
/* STATUS_INVALID_DEVICE_STATE while the adapter's threads live; STATUS_INVALID_PARAMETER for an
   unknown extension. */
NTKERNELAPI NTSTATUS SysThreadDestroyAdapter(PVOID HwDeviceExtension);

/* Creates an emulated user process and returns a handle to it (PROCESS_ALL_ACCESS). */
NTKERNELAPI NTSTATUS SysThreadCreateProcess(PHANDLE ProcessHandle);

SYSTHREAD_END_DECLS

#endif /* SYSTHREAD_HARNESS_H */
