/*
 * driver_example.c - a driver-style C program built against the *installed* systhread package.
 *
 * Written only with the documented DDI names (<systhread/wdm.h>, <systhread/storport.h>) and the
 * emulated I/O manager (<systhread/harness.h>): DriverEntry creates a device, an
 * IoCreateSystemThread thread and a PsCreateSystemThread thread that sleep on a KEVENT, raises the
 * latter to LOW_REALTIME_PRIORITY; a StorPort adapter runs StorPortCreateSystemThread threads up to
 * its limit (one more must fail with STOR_STATUS_UNSUCCESSFUL) and re-prioritises one;
 * DriverUnload signals the threads and waits for its PsCreateSystemThread thread;
 * SysThreadUnloadDriver waits for the I/O thread. Two more threads share a counter under a KMUTEX
 * and are found by PsLookupThreadByThreadId and waited for with ZwWaitForMultipleObjects; a
 * synchronization KTIMER, a critical region, the system time and the processor counts are checked
 * from C. The backend comes from SYSTHREAD_BACKEND.
 *
 * Prints one line per check and exits non-zero on any mismatch. Every wait is bounded.
 */
#include <stdio.h>
#include <stdlib.h>

#include <systhread/harness.h>
#include <systhread/storport.h>
#include <systhread/wdm.h>

static int Failures;

static void Check(int Ok, const char* What) {
  printf("%s: %s\n", Ok ? "ok  " : "FAIL", What);
  if (!Ok) Failures++;
}

static LARGE_INTEGER Seconds(LONGLONG S) {
  LARGE_INTEGER T;
  T.QuadPart = -S * 10 * 1000 * 1000;
  return T;
}

/* ---- The driver ---------------------------------------------------------------------------- */
typedef struct _DEVICE_EXTENSION {
  KEVENT StopEvent;
  HANDLE PsThread;
  PKTHREAD PsThreadObject;
  HANDLE IoThread;
} DEVICE_EXTENSION, *PDEVICE_EXTENSION;

static PDEVICE_OBJECT TheDevice;
static volatile LONG UnloadCalled;
/* What the threads saw (outside the device extension: the device is freed at unload). */
static volatile LONG PsWokeUp, IoWokeUp, PsPriorityInside = -1, IoIrql = -1;

static VOID PsWorker(PVOID StartContext) {
  PDEVICE_EXTENSION Ext = (PDEVICE_EXTENSION)StartContext;
  LARGE_INTEGER Timeout = Seconds(10);
  if (KeWaitForSingleObject(&Ext->StopEvent, Executive, KernelMode, FALSE, &Timeout) ==
      STATUS_SUCCESS)
    PsWokeUp = 1;
  PsPriorityInside = KeQueryPriorityThread(KeGetCurrentThread());
  PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID IoWorker(PVOID StartContext) {
  PDEVICE_EXTENSION Ext = (PDEVICE_EXTENSION)StartContext;
  LARGE_INTEGER Timeout = Seconds(10);
  IoIrql = KeGetCurrentIrql();
  if (KeWaitForSingleObject(&Ext->StopEvent, Executive, KernelMode, FALSE, &Timeout) ==
      STATUS_SUCCESS)
    IoWokeUp = 1;
  /* Returns: the I/O manager ends the thread and drops the device reference. */
}

static VOID DriverUnload(PDRIVER_OBJECT DriverObject) {
  PDEVICE_EXTENSION Ext = (PDEVICE_EXTENSION)TheDevice->DeviceExtension;
  LARGE_INTEGER Timeout = Seconds(10);
  UNREFERENCED_PARAMETER(DriverObject);
  UnloadCalled = 1;
  KeSetEvent(&Ext->StopEvent, 0, FALSE);
  Check(KeWaitForSingleObject(Ext->PsThreadObject, Executive, KernelMode, FALSE, &Timeout) ==
            STATUS_SUCCESS,
        "DriverUnload: PsCreateSystemThread thread ended");
  ObDereferenceObject(Ext->PsThreadObject);
  Check(ZwClose(Ext->PsThread) == STATUS_SUCCESS, "DriverUnload: ZwClose(Ps thread handle)");
  Check(ZwClose(Ext->IoThread) == STATUS_SUCCESS, "DriverUnload: ZwClose(Io thread handle)");
  IoDeleteDevice(TheDevice);
}

static NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  OBJECT_ATTRIBUTES Oa;
  PDEVICE_EXTENSION Ext;
  NTSTATUS Status;
  PVOID Object = NULL;
  UNREFERENCED_PARAMETER(RegistryPath);

  Status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0,
                          FALSE, &TheDevice);
  Check(Status == STATUS_SUCCESS, "IoCreateDevice");
  if (!NT_SUCCESS(Status)) return Status;
  Ext = (PDEVICE_EXTENSION)TheDevice->DeviceExtension;
  Check(Ext != NULL, "device extension allocated");
  if (Ext == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  KeInitializeEvent(&Ext->StopEvent, NotificationEvent, FALSE);
  DriverObject->DriverUnload = DriverUnload;

  InitializeObjectAttributes(&Oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  Status = IoCreateSystemThread(TheDevice, &Ext->IoThread, THREAD_ALL_ACCESS, &Oa, NULL, NULL,
                                IoWorker, Ext);
  Check(Status == STATUS_SUCCESS, "IoCreateSystemThread(device)");
  if (!NT_SUCCESS(Status)) return Status;
  Check(TheDevice->ReferenceCount >= 1, "device referenced by its I/O thread");

  Status = PsCreateSystemThread(&Ext->PsThread, THREAD_ALL_ACCESS, &Oa, NULL, NULL, PsWorker, Ext);
  Check(Status == STATUS_SUCCESS, "PsCreateSystemThread");
  if (!NT_SUCCESS(Status)) return Status;
  Status = ObReferenceObjectByHandle(Ext->PsThread, SYNCHRONIZE, *PsThreadType, KernelMode, &Object,
                                     NULL);
  Check(Status == STATUS_SUCCESS, "ObReferenceObjectByHandle(*PsThreadType)");
  if (!NT_SUCCESS(Status)) return Status;
  Ext->PsThreadObject = (PKTHREAD)Object;
  Check(KeQueryPriorityThread(Ext->PsThreadObject) == 8, "new system thread at priority 8");
  Check(KeSetPriorityThread(Ext->PsThreadObject, LOW_REALTIME_PRIORITY) == 8,
        "KeSetPriorityThread returns the previous priority");
  Check(KeQueryPriorityThread(Ext->PsThreadObject) == LOW_REALTIME_PRIORITY,
        "KeQueryPriorityThread == LOW_REALTIME_PRIORITY");
  {
    LARGE_INTEGER Zero;
    Zero.QuadPart = 0;
    Check(KeWaitForSingleObject(Ext->PsThreadObject, Executive, KernelMode, FALSE, &Zero) ==
              STATUS_TIMEOUT,
          "running thread is not signaled");
  }
  return STATUS_SUCCESS;
}

/* ---- The StorPort miniport ------------------------------------------------------------------ */
#define MAX_ADAPTER_THREADS 256

typedef struct _HW_DEVICE_EXTENSION {
  KEVENT Stop;
  volatile LONG Started;
} HW_DEVICE_EXTENSION, *PHW_DEVICE_EXTENSION;

typedef struct _MINIPORT_THREAD {
  PHW_DEVICE_EXTENSION Hw;
  PKTHREAD Self;
  KEVENT Ready;
  volatile LONG Priority;
} MINIPORT_THREAD;

static MINIPORT_THREAD Threads[MAX_ADAPTER_THREADS + 1];

static VOID MiniportWorker(PVOID StartContext) {
  MINIPORT_THREAD* T = (MINIPORT_THREAD*)StartContext;
  LARGE_INTEGER Timeout = Seconds(10);
  T->Self = KeGetCurrentThread();
  ObReferenceObject(T->Self);
  KeSetEvent(&T->Ready, 0, FALSE);
  KeWaitForSingleObject(&T->Hw->Stop, Executive, KernelMode, FALSE, &Timeout);
  T->Priority = KeQueryPriorityThread(KeGetCurrentThread());
  StorPortTerminateSystemThread(T->Hw, NULL);
}

static void RunMiniport(void) {
  PVOID HwDeviceExtension = NULL;
  PHW_DEVICE_EXTENSION Hw;
  ULONG Cpus = KeQueryActiveProcessorCount(NULL);
  ULONG Created = 0, I, Status;
  PVOID Context[MAX_ADAPTER_THREADS + 1];
  STOR_THREAD_PRIORITY Normal = StorThreadPriorityNormal;
  LARGE_INTEGER Timeout = Seconds(10);
  char Line[128];

  Check(SysThreadCreateAdapter(sizeof(HW_DEVICE_EXTENSION), &HwDeviceExtension) == STATUS_SUCCESS,
        "SysThreadCreateAdapter");
  if (HwDeviceExtension == NULL) return;
  Hw = (PHW_DEVICE_EXTENSION)HwDeviceExtension;
  KeInitializeEvent(&Hw->Stop, NotificationEvent, FALSE);
  if (Cpus > MAX_ADAPTER_THREADS) Cpus = MAX_ADAPTER_THREADS;

  for (I = 0; I < Cpus; ++I) {
    Threads[I].Hw = Hw;
    KeInitializeEvent(&Threads[I].Ready, NotificationEvent, FALSE);
    Status = StorPortCreateSystemThread(HwDeviceExtension, MiniportWorker, &Threads[I], &Normal,
                                        &Context[I]);
    if (Status != STOR_STATUS_SUCCESS) break;
    Created++;
  }
  snprintf(Line, sizeof Line, "StorPortCreateSystemThread x %lu (the adapter limit)",
           (unsigned long)Cpus);
  Check(Created == Cpus, Line);
  Threads[Cpus].Hw = Hw;
  KeInitializeEvent(&Threads[Cpus].Ready, NotificationEvent, FALSE);
  Status = StorPortCreateSystemThread(HwDeviceExtension, MiniportWorker, &Threads[Cpus], NULL,
                                      &Context[Cpus]);
  Check(Status == STOR_STATUS_UNSUCCESSFUL, "one past the limit: STOR_STATUS_UNSUCCESSFUL");
  if (Status == STOR_STATUS_SUCCESS) Created++;

  for (I = 0; I < Created; ++I)
    KeWaitForSingleObject(&Threads[I].Ready, Executive, KernelMode, FALSE, &Timeout);
  if (Created > 0) {
    Check(StorPortSetPriorityThread(HwDeviceExtension, Context[0], StorThreadPriorityCritical) ==
              STOR_STATUS_SUCCESS,
          "StorPortSetPriorityThread(Critical)");
  }
  Check(StorPortSetPriorityThread(HwDeviceExtension, Context[0], (STOR_THREAD_PRIORITY)9) ==
            STOR_STATUS_INVALID_PARAMETER,
        "StorPortSetPriorityThread(out of the enum): STOR_STATUS_INVALID_PARAMETER");

  KeSetEvent(&Hw->Stop, 0, FALSE);
  for (I = 0; I < Created; ++I) {
    if (Threads[I].Self == NULL) continue;
    Check(KeWaitForSingleObject(Threads[I].Self, Executive, KernelMode, FALSE, &Timeout) ==
              STATUS_SUCCESS,
          "StorPortTerminateSystemThread: thread object signaled");
    ObDereferenceObject(Threads[I].Self);
  }
  if (Created > 0) Check(Threads[0].Priority == 13, "Critical is KPRIORITY 13");
  if (Created > 1) Check(Threads[1].Priority == 8, "Normal is KPRIORITY 8");

  /* Threads that just ended may still count for a moment. */
  for (I = 0; I < 100; ++I) {
    LARGE_INTEGER Delay;
    if (SysThreadDestroyAdapter(HwDeviceExtension) == STATUS_SUCCESS) break;
    Delay.QuadPart = -10 * 1000 * 10; /* 10 ms */
    KeDelayExecutionThread(KernelMode, FALSE, &Delay);
  }
  Check(I < 100, "SysThreadDestroyAdapter after the threads ended");
}

/* ---- Mutexes, timers, regions, lookup (the second release's routines) --------------------- */
static KMUTEX CounterLock;
static volatile LONG Counter;

static VOID MutexWorker(PVOID StartContext) {
  LARGE_INTEGER Timeout = Seconds(10);
  int I;
  UNREFERENCED_PARAMETER(StartContext);
  for (I = 0; I < 100; ++I) {
    if (KeWaitForMutexObject(&CounterLock, Executive, KernelMode, FALSE, &Timeout) !=
        STATUS_SUCCESS)
      return;
    Counter = Counter + 1;
    KeReleaseMutex(&CounterLock, FALSE);
  }
}

static void RunNewerRoutines(void) {
  OBJECT_ATTRIBUTES Oa;
  HANDLE Handles[2] = {NULL, NULL};
  CLIENT_ID Cid[2];
  PETHREAD Found = NULL;
  KTIMER Timer;
  LARGE_INTEGER Due, Now, Timeout = Seconds(10);
  int I;

  KeInitializeMutex(&CounterLock, 0);
  Check(KeReadStateMutex(&CounterLock) == 1, "KeInitializeMutex: signalled");
  InitializeObjectAttributes(&Oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
  for (I = 0; I < 2; ++I)
    Check(PsCreateSystemThread(&Handles[I], THREAD_ALL_ACCESS, &Oa, NULL, &Cid[I], MutexWorker,
                               NULL) == STATUS_SUCCESS,
          "PsCreateSystemThread (mutex worker)");
  if (Handles[0] == NULL || Handles[1] == NULL) return;
  Check(PsLookupThreadByThreadId(Cid[0].UniqueThread, &Found) == STATUS_SUCCESS,
        "PsLookupThreadByThreadId");
  if (Found != NULL) {
    Check(PsGetThreadId(Found) == Cid[0].UniqueThread, "PsGetThreadId of the found thread");
    ObDereferenceObject(Found);
  }
  Check(ZwWaitForMultipleObjects(2, Handles, WaitAll, FALSE, &Timeout) == STATUS_SUCCESS,
        "ZwWaitForMultipleObjects(WaitAll)");
  Check(Counter == 200, "KMUTEX: 200 increments, none lost");
  Check(KeReadStateMutex(&CounterLock) == 1, "KMUTEX free after the last release");
  for (I = 0; I < 2; ++I) ZwClose(Handles[I]);

  KeInitializeTimerEx(&Timer, SynchronizationTimer);
  Due.QuadPart = -10 * 1000 * 10; /* 10 ms */
  Check(KeSetTimerEx(&Timer, Due, 0, NULL) == FALSE, "KeSetTimerEx on an idle timer: FALSE");
  Check(KeWaitForSingleObject(&Timer, Executive, KernelMode, FALSE, &Timeout) == STATUS_SUCCESS,
        "KTIMER expired");
  Check(KeReadStateTimer(&Timer) == FALSE, "synchronization timer reset by the wait");

  KeEnterCriticalRegion();
  Check(KeAreApcsDisabled() == TRUE, "inside a critical region: KeAreApcsDisabled");
  Check(KeAreAllApcsDisabled() == FALSE, "critical region at PASSIVE_LEVEL: not all APCs");
  KeLeaveCriticalRegion();
  Check(KeAreApcsDisabled() == FALSE, "after KeLeaveCriticalRegion");

  KeQuerySystemTimePrecise(&Now);
  Check(Now.QuadPart > 116444736000000000LL, "KeQuerySystemTimePrecise: after 1970");
  Check(KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS) == KeQueryActiveProcessorCount(NULL),
        "KeQueryActiveProcessorCountEx(ALL_PROCESSOR_GROUPS)");
}

int main(void) {
  PDRIVER_OBJECT Driver = NULL;
  const char* Backend = getenv("SYSTHREAD_BACKEND");
  printf("driver_example: backend %s\n", Backend ? Backend : "(default)");

  Check(SysThreadLoadDriver(DriverEntry, &Driver) == STATUS_SUCCESS, "SysThreadLoadDriver");
  if (Driver == NULL || TheDevice == NULL) return 1;

  RunMiniport();
  RunNewerRoutines();

  Check(SysThreadUnloadDriver(Driver) == STATUS_SUCCESS, "SysThreadUnloadDriver");
  Check(UnloadCalled == 1, "DriverUnload called");
  Check(PsWokeUp == 1, "Ps thread woken by the KEVENT");
  Check(PsPriorityInside == LOW_REALTIME_PRIORITY, "Ps thread ran at LOW_REALTIME_PRIORITY");
  Check(IoWokeUp == 1, "Io thread woken by the KEVENT before the unload returned");
  Check(IoIrql == PASSIVE_LEVEL, "Io thread started at PASSIVE_LEVEL");
  printf("driver_example: %d failure(s)\n", Failures);
  return Failures == 0 ? 0 : 1;
}
