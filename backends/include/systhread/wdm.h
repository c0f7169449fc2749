/*
 * <systhread/wdm.h> - the Windows system-thread DDI surface, implemented in user space on Linux.
 *
 * Defines the documented types, constants and routines a driver uses to create, wait for,
 * prioritise and end system threads (docs/contracts.md sections 1-2), with the behaviour tpbench
 * decided in docs/contracts.md section 6. Code written for the documented names compiles against
 * this header unchanged, from C11 and from C++20.
 *
 * Every routine acts on the calling thread's runtime: the runtime that created the calling system
 * thread, the one entered with tpb::RuntimeScope, or the process default runtime (backend chosen by
 * SysThreadSelectBackend or the SYSTHREAD_BACKEND environment variable; "pthread" otherwise).
 *
 * Misuse that Windows answers with a bug check (wrong IRQL, a bad IoObject, an exception escaping a
 * start routine, unloading a driver whose threads live) ends the process: one line on stderr,
 * "BUGCHECK 0x<code> <NAME>: <what>", then exit status 134.
 *
 * All routines are thread-safe.
 */
#ifndef SYSTHREAD_WDM_H
#define SYSTHREAD_WDM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define SYSTHREAD_EXTERN_C extern "C"
#define SYSTHREAD_BEGIN_DECLS extern "C" {
#define SYSTHREAD_END_DECLS }
#else
#define SYSTHREAD_EXTERN_C extern
#define SYSTHREAD_BEGIN_DECLS
#define SYSTHREAD_END_DECLS
#endif

#define SYSTHREAD_API __attribute__((visibility("default")))

SYSTHREAD_BEGIN_DECLS

/* ---- Basic types --------------------------------------------------------------------------- */
typedef void VOID;
typedef void* PVOID;
typedef char CHAR;
typedef unsigned char UCHAR, *PUCHAR;
typedef int16_t SHORT, CSHORT;
typedef uint16_t USHORT, *PUSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef intptr_t LONG_PTR;
typedef ULONG_PTR SIZE_T;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef uint16_t WCHAR, *PWCH, *PWSTR;
typedef const WCHAR* PCWSTR;
typedef PVOID HANDLE, *PHANDLE;
typedef LONG NTSTATUS;
typedef ULONG ACCESS_MASK;
typedef LONG KPRIORITY;
typedef UCHAR KIRQL, *PKIRQL;
typedef ULONG_PTR KAFFINITY, *PKAFFINITY;
typedef char CCHAR;
typedef uint64_t ULONG64, *PULONG64;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#define NULL ((void*)0)
#endif

/* SAL and calling-convention markers that driver code carries; they mean nothing here. */
#define _In_
#define _In_opt_
#define _Out_
#define _Out_opt_
#define _Inout_
#define _Inout_opt_
#define _IRQL_requires_max_(x)
#define _Function_class_(x)
#define _Use_decl_annotations_
#define IN
#define OUT
#define OPTIONAL
#define NTAPI
#define DDKAPI
#define NTKERNELAPI SYSTHREAD_API
#define UNREFERENCED_PARAMETER(p) ((void)(p))

typedef union _LARGE_INTEGER {
  struct {
    ULONG LowPart;
    LONG HighPart;
  } u;
  LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
  struct {
    ULONG LowPart;
    ULONG HighPart;
  } u;
  ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef struct _LIST_ENTRY {
  struct _LIST_ENTRY* Flink;
  struct _LIST_ENTRY* Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _UNICODE_STRING {
  USHORT Length;        /* bytes, without a terminator */
  USHORT MaximumLength; /* bytes */
  PWSTR Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING* PCUNICODE_STRING;

/* ---- NTSTATUS ------------------------------------------------------------------------------ */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_WAIT_0 ((NTSTATUS)0x00000000L)
#define STATUS_WAIT_63 ((NTSTATUS)0x0000003FL)
#define STATUS_ABANDONED_WAIT_0 ((NTSTATUS)0x00000080L)
#define STATUS_USER_APC ((NTSTATUS)0x000000C0L)
#define STATUS_ALERTED ((NTSTATUS)0x00000101L)
#define STATUS_TIMEOUT ((NTSTATUS)0x00000102L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_NOT_IMPLEMENTED ((NTSTATUS)0xC0000002L)
#define STATUS_INVALID_INFO_CLASS ((NTSTATUS)0xC0000003L)
#define STATUS_INFO_LENGTH_MISMATCH ((NTSTATUS)0xC0000004L)
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define STATUS_INVALID_CID ((NTSTATUS)0xC000000BL)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define STATUS_OBJECT_TYPE_MISMATCH ((NTSTATUS)0xC0000024L)
#define STATUS_OBJECT_NAME_NOT_FOUND ((NTSTATUS)0xC0000034L)
#define STATUS_MUTANT_NOT_OWNED ((NTSTATUS)0xC0000046L)
#define STATUS_MUTEX_NOT_OWNED STATUS_MUTANT_NOT_OWNED
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED ((NTSTATUS)0xC0000047L)
#define STATUS_THREAD_IS_TERMINATING ((NTSTATUS)0xC000004BL)
#define STATUS_PRIVILEGE_NOT_HELD ((NTSTATUS)0xC0000061L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define STATUS_PROCESS_IS_TERMINATING ((NTSTATUS)0xC000010AL)
#define STATUS_PROCEDURE_NOT_FOUND ((NTSTATUS)0xC000007AL)
#define STATUS_INVALID_DEVICE_STATE ((NTSTATUS)0xC0000184L)
#define STATUS_HANDLE_NOT_CLOSABLE ((NTSTATUS)0xC0000235L)

/* ---- Access masks and object attributes ---------------------------------------------------- */
#define DELETE 0x00010000L
#define READ_CONTROL 0x00020000L
#define WRITE_DAC 0x00040000L
#define WRITE_OWNER 0x00080000L
#define SYNCHRONIZE 0x00100000L
#define STANDARD_RIGHTS_REQUIRED 0x000F0000L
#define STANDARD_RIGHTS_ALL 0x001F0000L
#define GENERIC_READ 0x80000000L
#define GENERIC_WRITE 0x40000000L
#define GENERIC_EXECUTE 0x20000000L
#define GENERIC_ALL 0x10000000L
#define THREAD_TERMINATE 0x0001
#define THREAD_SUSPEND_RESUME 0x0002
#define THREAD_SET_INFORMATION 0x0020
#define THREAD_QUERY_INFORMATION 0x0040
#define THREAD_QUERY_LIMITED_INFORMATION 0x0800
#define THREAD_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)
#define PROCESS_TERMINATE 0x0001
#define PROCESS_CREATE_THREAD 0x0002
#define PROCESS_QUERY_INFORMATION 0x0400
#define PROCESS_ALL_ACCESS (STANDARD_RIGHTS_REQUIRED | SYNCHRONIZE | 0xFFFF)

#define OBJ_INHERIT 0x00000002L
#define OBJ_PERMANENT 0x00000010L
#define OBJ_EXCLUSIVE 0x00000020L
#define OBJ_CASE_INSENSITIVE 0x00000040L
#define OBJ_OPENIF 0x00000080L
#define OBJ_OPENLINK 0x00000100L
#define OBJ_KERNEL_HANDLE 0x00000200L
#define OBJ_FORCE_ACCESS_CHECK 0x00000400L
#define OBJ_VALID_ATTRIBUTES 0x000007F2L

typedef struct _OBJECT_ATTRIBUTES {
  ULONG Length;
  HANDLE RootDirectory;
  PUNICODE_STRING ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} OBJECT_ATTRIBUTES, *POBJECT_ATTRIBUTES;

#define InitializeObjectAttributes(p, n, a, r, s) \
  do {                                            \
    (p)->Length = sizeof(OBJECT_ATTRIBUTES);      \
    (p)->RootDirectory = (r);                     \
    (p)->Attributes = (a);                        \
    (p)->ObjectName = (n);                        \
    (p)->SecurityDescriptor = (s);                \
    (p)->SecurityQualityOfService = NULL;         \
  } while (0)

typedef struct _CLIENT_ID {
  HANDLE UniqueProcess;
  HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define ZwCurrentProcess() NtCurrentProcess()
#define NtCurrentThread() ((HANDLE)(LONG_PTR)-2)
#define ZwCurrentThread() NtCurrentThread()
#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)

/* ---- Enumerations ---------------------------------------------------------------------------- */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define PROFILE_LEVEL 27
#define CLOCK_LEVEL 28
#define IPI_LEVEL 29
#define POWER_LEVEL 30
#define HIGH_LEVEL 31

#define LOW_PRIORITY 0
#define LOW_REALTIME_PRIORITY 16
#define HIGH_PRIORITY 31
#define MAXIMUM_PRIORITY 32

/* Priority increments a signal gives the variable-class thread whose wait it satisfies. */
#define IO_NO_INCREMENT 0
#define EVENT_INCREMENT 1
#define SEMAPHORE_INCREMENT 1
#define MUTANT_INCREMENT 1

#define MAXIMUM_WAIT_OBJECTS 64
#define THREAD_WAIT_OBJECTS 3

typedef enum _MODE { KernelMode, UserMode, MaximumMode } MODE;
typedef CCHAR KPROCESSOR_MODE;

typedef enum _KWAIT_REASON {
  Executive,
  FreePage,
  PageIn,
  PoolAllocation,
  DelayExecution,
  Suspended,
  UserRequest,
  WrExecutive,
  WrFreePage,
  WrPageIn,
  WrPoolAllocation,
  WrDelayExecution,
  WrSuspended,
  WrUserRequest,
  WrEventPair,
  WrQueue,
  WrLpcReceive,
  WrLpcReply,
  WrVirtualMemory,
  WrPageOut,
  WrRendezvous,
  MaximumWaitReason = 37
} KWAIT_REASON;

typedef enum _WAIT_TYPE { WaitAll, WaitAny, WaitNotification, WaitDequeue } WAIT_TYPE;

typedef enum _EVENT_TYPE { NotificationEvent, SynchronizationEvent } EVENT_TYPE;

/* Dispatcher object types, as the first byte of every waitable object's header. */
typedef enum _KOBJECTS {
  EventNotificationObject = 0,
  EventSynchronizationObject = 1,
  MutantObject = 2,
  ProcessObject = 3,
  QueueObject = 4,
  SemaphoreObject = 5,
  ThreadObject = 6,
  TimerNotificationObject = 8,
  TimerSynchronizationObject = 9
} KOBJECTS;

typedef enum _TIMER_TYPE { NotificationTimer, SynchronizationTimer } TIMER_TYPE;

typedef enum _THREADINFOCLASS {
  ThreadBasicInformation = 0,
  ThreadTimes = 1,
  ThreadPriority = 2,
  ThreadBasePriority = 3,
  ThreadAffinityMask = 4
} THREADINFOCLASS;

/* ---- Dispatcher objects ---------------------------------------------------------------------- */
/* SignalState is the object's state (> 0 signalled; for a mutex, 1 free and 1 - depth owned);
   WaitListHead links the emulator's waiters first-in, first-out. Both change under the emulator's
   dispatcher lock, in one step (docs/contracts.md section 7.1). */
typedef struct _DISPATCHER_HEADER {
  UCHAR Type;
  UCHAR Signalling;
  UCHAR Size;
  UCHAR Reserved1;
  LONG SignalState;
  LIST_ENTRY WaitListHead;
} DISPATCHER_HEADER;

typedef struct _KEVENT {
  DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KSEMAPHORE {
  DISPATCHER_HEADER Header;
  LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

/* Kernel mutex (mutant). OwnerThread is the owning PKTHREAD, NULL while signalled. */
typedef struct _KMUTANT {
  DISPATCHER_HEADER Header;
  LIST_ENTRY MutantListEntry;
  struct _KTHREAD* OwnerThread;
  BOOLEAN Abandoned;
  UCHAR ApcDisable;
} KMUTANT, *PKMUTANT, *PRKMUTANT, KMUTEX, *PKMUTEX, *PRKMUTEX;

/* Deferred procedure calls are not emulated; the type exists so timer prototypes compile. */
typedef struct _KDPC* PKDPC;
typedef struct _KDPC* PRKDPC;

/* Timer. DueTime holds the emulator's expiry (monotonic clock, 100 ns) while queued. */
typedef struct _KTIMER {
  DISPATCHER_HEADER Header;
  ULARGE_INTEGER DueTime;
  LIST_ENTRY TimerListEntry; /* Flink non-NULL while the timer is queued */
  PKDPC Dpc;
  ULONG Processor;
  LONG Period; /* ms, 0: one-shot */
} KTIMER, *PKTIMER, *PRKTIMER;

typedef struct _KWAIT_BLOCK {
  LIST_ENTRY WaitListEntry;
  PVOID Object;
  PVOID Thread;
  USHORT WaitKey;
  UCHAR WaitType;
  UCHAR BlockState;
} KWAIT_BLOCK, *PKWAIT_BLOCK;

/* Thread and process objects are opaque; a PKTHREAD and the PETHREAD of the same thread are the
   same pointer, whose first member is a DISPATCHER_HEADER of Type ThreadObject (6). */
typedef struct _KTHREAD* PKTHREAD;
typedef struct _KTHREAD* PRKTHREAD;
typedef struct _ETHREAD* PETHREAD;
typedef struct _KPROCESS* PKPROCESS;
typedef struct _EPROCESS* PEPROCESS;
typedef struct _OBJECT_TYPE* POBJECT_TYPE;

typedef VOID KSTART_ROUTINE(PVOID StartContext);
typedef KSTART_ROUTINE* PKSTART_ROUTINE;

typedef struct _THREAD_BASIC_INFORMATION {
  NTSTATUS ExitStatus;  /* STATUS_PENDING while the thread runs */
  PVOID TebBaseAddress; /* always NULL: system threads have no TEB */
  CLIENT_ID ClientId;
  KAFFINITY AffinityMask;
  KPRIORITY Priority;
  KPRIORITY BasePriority; /* the thread's base priority (absolute KPRIORITY) */
} THREAD_BASIC_INFORMATION, *PTHREAD_BASIC_INFORMATION;

/* ---- I/O manager objects --------------------------------------------------------------------- */
#define IO_TYPE_DEVICE 3
#define IO_TYPE_DRIVER 4
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b
#define FILE_DEVICE_UNKNOWN 0x00000022
#define FILE_DEVICE_DISK 0x00000007
#define FILE_DEVICE_MASS_STORAGE 0x0000002d
#define FILE_DEVICE_SECURE_OPEN 0x00000100

struct _DRIVER_OBJECT;
struct _DEVICE_OBJECT;
struct _IRP;

typedef NTSTATUS DRIVER_INITIALIZE(struct _DRIVER_OBJECT* DriverObject,
                                   PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE* PDRIVER_INITIALIZE;
typedef VOID DRIVER_UNLOAD(struct _DRIVER_OBJECT* DriverObject);
typedef DRIVER_UNLOAD* PDRIVER_UNLOAD;
typedef NTSTATUS DRIVER_DISPATCH(struct _DEVICE_OBJECT* DeviceObject, struct _IRP* Irp);
typedef DRIVER_DISPATCH* PDRIVER_DISPATCH;

typedef struct _DEVICE_OBJECT {
  CSHORT Type; /* IO_TYPE_DEVICE */
  USHORT Size;
  LONG ReferenceCount; /* references held by IoCreateSystemThread threads */
  struct _DRIVER_OBJECT* DriverObject;
  struct _DEVICE_OBJECT* NextDevice;
  struct _DEVICE_OBJECT* AttachedDevice;
  struct _IRP* CurrentIrp;
  PVOID Timer;
  ULONG Flags;
  ULONG Characteristics;
  PVOID Vpb;
  PVOID DeviceExtension;
  ULONG DeviceType;
  CCHAR StackSize;
} DEVICE_OBJECT, *PDEVICE_OBJECT;

typedef struct _DRIVER_OBJECT {
  CSHORT Type; /* IO_TYPE_DRIVER */
  CSHORT Size;
  PDEVICE_OBJECT DeviceObject;
  ULONG Flags;
  PVOID DriverStart;
  ULONG DriverSize;
  PVOID DriverSection;
  PVOID DriverExtension;
  UNICODE_STRING DriverName;
  PUNICODE_STRING HardwareDatabase;
  PVOID FastIoDispatch;
  PDRIVER_INITIALIZE DriverInit;
  PVOID DriverStartIo;
  PDRIVER_UNLOAD DriverUnload;
  PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* ---- Object types ---------------------------------------------------------------------------- */
SYSTHREAD_EXTERN_C SYSTHREAD_API POBJECT_TYPE* PsThreadType;
SYSTHREAD_EXTERN_C SYSTHREAD_API POBJECT_TYPE* PsProcessType;
SYSTHREAD_EXTERN_C SYSTHREAD_API POBJECT_TYPE* ExEventObjectType;
SYSTHREAD_EXTERN_C SYSTHREAD_API POBJECT_TYPE* ExSemaphoreObjectType;

/* The calling runtime's system process (a routine here: each runtime has its own). */
NTKERNELAPI PEPROCESS PsGetInitialSystemProcess(void);
#define PsInitialSystemProcess (PsGetInitialSystemProcess())

/* ---- Thread creation and termination --------------------------------------------------------- */
/* Creates a system thread running StartRoutine(StartContext) at PASSIVE_LEVEL, priority 8.
   ProcessHandle NULL: the system process; NtCurrentProcess(): the caller's process; otherwise a
   process handle with PROCESS_CREATE_THREAD. Returns STATUS_SUCCESS and a kernel handle the caller
   closes with ZwClose; STATUS_INVALID_PARAMETER (bad attributes or arguments),
   STATUS_INVALID_HANDLE, STATUS_PROCESS_IS_TERMINATING, STATUS_INSUFFICIENT_RESOURCES (host or
   per-CPU limit), STATUS_PRIVILEGE_NOT_HELD (strict priority policy). On failure no thread runs and
   nothing is written to ThreadHandle or ClientId. Callable at PASSIVE_LEVEL and APC_LEVEL. */
NTKERNELAPI NTSTATUS PsCreateSystemThread(PHANDLE ThreadHandle, ULONG DesiredAccess,
                                          POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                                          PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                                          PVOID StartContext);

/* As PsCreateSystemThread, and IoObject (a DRIVER_OBJECT or DEVICE_OBJECT) holds a reference from
   before the routine runs until after it returns. Any other IoObject is bug check 0x148. */
NTKERNELAPI NTSTATUS IoCreateSystemThread(PVOID IoObject, PHANDLE ThreadHandle, ULONG DesiredAccess,
                                          POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ProcessHandle,
                                          PCLIENT_ID ClientId, PKSTART_ROUTINE StartRoutine,
                                          PVOID StartContext);

/* Ends the calling system thread with ExitStatus by unwinding its stack to the emulator's
   trampoline (C start routines need unwind tables: GCC's x86-64 default). Never returns for a
   system thread; from any other thread returns STATUS_INVALID_PARAMETER. */
NTKERNELAPI NTSTATUS PsTerminateSystemThread(NTSTATUS ExitStatus);

NTKERNELAPI HANDLE PsGetCurrentThreadId(void);
NTKERNELAPI HANDLE PsGetCurrentProcessId(void);
NTKERNELAPI PETHREAD PsGetCurrentThread(void);
NTKERNELAPI PEPROCESS PsGetCurrentProcess(void);
NTKERNELAPI PKTHREAD KeGetCurrentThread(void);
NTKERNELAPI BOOLEAN PsIsSystemThread(PETHREAD Thread);
NTKERNELAPI HANDLE PsGetThreadId(PETHREAD Thread);
NTKERNELAPI HANDLE PsGetThreadProcessId(PETHREAD Thread);
/* The calling thread's process, as PsGetCurrentProcess. */
NTKERNELAPI PEPROCESS IoGetCurrentProcess(void);
/* A referenced thread object for a client id (drop it with ObDereferenceObject). A NULL id gives
   STATUS_INVALID_CID; an id no live thread of the calling runtime has, STATUS_INVALID_PARAMETER.
   PASSIVE_LEVEL or APC_LEVEL. */
NTKERNELAPI NTSTATUS PsLookupThreadByThreadId(HANDLE ThreadId, PETHREAD* Thread);

/* ---- Thread notification --------------------------------------------------------------------- */
typedef VOID (*PCREATE_THREAD_NOTIFY_ROUTINE)(HANDLE ProcessId, HANDLE ThreadId, BOOLEAN Create);
typedef enum _PSCREATETHREADNOTIFYTYPE {
  PsCreateThreadNotifyNonSystem = 0,
  PsCreateThreadNotifySubsystems = 1
} PSCREATETHREADNOTIFYTYPE;
/* Registers a routine called for every system thread of every runtime: with Create TRUE on the
   creating thread before the new one runs, with Create FALSE on the ending thread after its start
   routine. At most 64 routines: STATUS_INSUFFICIENT_RESOURCES past that. PASSIVE_LEVEL. */
NTKERNELAPI NTSTATUS PsSetCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine);
/* As PsSetCreateThreadNotifyRoutine, but the Create TRUE call runs on the new thread, before its
   start routine. NotifyInformation is the PCREATE_THREAD_NOTIFY_ROUTINE; another NotifyType is
   STATUS_INVALID_PARAMETER. */
NTKERNELAPI NTSTATUS PsSetCreateThreadNotifyRoutineEx(PSCREATETHREADNOTIFYTYPE NotifyType,
                                                      PVOID NotifyInformation);
/* Unregisters a routine; once it returns STATUS_SUCCESS the routine is not running and will not
   run again. STATUS_PROCEDURE_NOT_FOUND for a routine not registered. PASSIVE_LEVEL. */
NTKERNELAPI NTSTATUS PsRemoveCreateThreadNotifyRoutine(PCREATE_THREAD_NOTIFY_ROUTINE NotifyRoutine);

/* ---- APCs and regions ------------------------------------------------------------------------ */
/* Critical regions disable normal kernel APCs, guarded regions all APCs; both nest, and each Leave
   must match an Enter (an unmatched Leave is bug check 0x1 APC_INDEX_MISMATCH). Every start routine
   begins inside one critical region; owning a kernel mutex counts as one more. Any IRQL up to
   APC_LEVEL. */
NTKERNELAPI VOID KeEnterCriticalRegion(void);
NTKERNELAPI VOID KeLeaveCriticalRegion(void);
NTKERNELAPI VOID KeEnterGuardedRegion(void);
NTKERNELAPI VOID KeLeaveGuardedRegion(void);
/* TRUE inside a critical or guarded region, whatever the IRQL. */
NTKERNELAPI BOOLEAN KeAreApcsDisabled(void);
/* TRUE inside a guarded region or at IRQL >= APC_LEVEL. */
NTKERNELAPI BOOLEAN KeAreAllApcsDisabled(void);

/* ---- Objects and handles --------------------------------------------------------------------- */
NTKERNELAPI NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
                                               POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                               PVOID* Object, PVOID HandleInformation);
NTKERNELAPI LONG_PTR ObfReferenceObject(PVOID Object);
NTKERNELAPI LONG_PTR ObfDereferenceObject(PVOID Object);
#define ObReferenceObject(o) ObfReferenceObject(o)
#define ObDereferenceObject(o) ObfDereferenceObject(o)
/* Adds a reference to a thread or process object. STATUS_OBJECT_TYPE_MISMATCH when ObjectType is
   given and the object is of another type. */
NTKERNELAPI NTSTATUS ObReferenceObjectByPointer(PVOID Object, ACCESS_MASK DesiredAccess,
                                                POBJECT_TYPE ObjectType,
                                                KPROCESSOR_MODE AccessMode);
/* *PsThreadType or *PsProcessType for a thread or process object. */
NTKERNELAPI POBJECT_TYPE ObGetObjectType(PVOID Object);
NTKERNELAPI NTSTATUS ZwClose(HANDLE Handle);
#define NtClose ZwClose

/* ---- Waiting --------------------------------------------------------------------------------- */
/* Waitable objects: events, semaphores, kernel mutexes, timers, threads and processes. A signal
   satisfies waiters in the same step that changes the object's state, first-in first-out, so a
   third thread can never take a signal meant for a waiter; WaitAll consumes all of its objects
   together or none. A wait the signal satisfied raises a variable-class (1..15) waiter to its base
   priority + the signal's increment, capped at 15 (real-time threads: none); the boost decays by
   one per 30 ms of CPU time the thread uses (KeQueryPriorityThread shows it; the host priority
   stays at the base level).
   Timeout: NULL waits forever, 0 polls, negative is relative and positive absolute (system time),
   both in 100 ns units. Returns STATUS_SUCCESS or STATUS_TIMEOUT. */
NTKERNELAPI NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
                                           KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                           PLARGE_INTEGER Timeout);
#define KeWaitForMutexObject KeWaitForSingleObject
/* WaitAny: STATUS_WAIT_0 + index of a signaled object; WaitAll: STATUS_WAIT_0 once all are.
   Count above THREAD_WAIT_OBJECTS needs WaitBlockArray; above MAXIMUM_WAIT_OBJECTS is bug check
   0xC. */
NTKERNELAPI NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType,
                                              KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
                                              BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                              PKWAIT_BLOCK WaitBlockArray);
NTKERNELAPI NTSTATUS ZwWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable,
                                           PLARGE_INTEGER Timeout);
/* KeWaitForMultipleObjects over thread and process handles (at most MAXIMUM_WAIT_OBJECTS, else
   STATUS_INVALID_PARAMETER). STATUS_INVALID_HANDLE for a bad handle. PASSIVE_LEVEL. */
NTKERNELAPI NTSTATUS ZwWaitForMultipleObjects(ULONG Count, HANDLE Handles[], WAIT_TYPE WaitType,
                                              BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTKERNELAPI NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                            PLARGE_INTEGER Interval);

NTKERNELAPI VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
/* Returns the previous state. A synchronization event with a waiter stays 0: the waiter took it. */
NTKERNELAPI LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
/* Releases the waiters of the moment and leaves the event non-signalled; returns the previous
   state. */
NTKERNELAPI LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
NTKERNELAPI LONG KeResetEvent(PRKEVENT Event);
NTKERNELAPI VOID KeClearEvent(PRKEVENT Event);
NTKERNELAPI LONG KeReadStateEvent(PRKEVENT Event);
NTKERNELAPI VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit);
/* Returns the previous count; releasing past the limit is bug check 0xC4 (Windows raises
   STATUS_SEMAPHORE_LIMIT_EXCEEDED, which no start routine can handle here). */
NTKERNELAPI LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
                                    BOOLEAN Wait);
NTKERNELAPI LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

/* ---- Kernel mutexes ----------------------------------------------------------------------------
 */
/* Signalled (unowned); Level is ignored. A satisfied wait makes the waiter the owner; the owner may
   wait again (recursion) and must release as often. Owning one disables normal kernel APCs. */
NTKERNELAPI VOID KeInitializeMutex(PRKMUTEX Mutex, ULONG Level);
/* Returns the previous SignalState: 0 means the mutex is now signalled (free). Releasing a mutex
   the caller does not own is bug check 0xC4 (Windows raises STATUS_MUTANT_NOT_OWNED); a system
   thread that ends owning one is bug check 0x4000008A THREAD_TERMINATE_HELD_MUTEX. Wakes with
   MUTANT_INCREMENT. IRQL <= DISPATCH_LEVEL. */
NTKERNELAPI LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait);
/* 1 while unowned, 1 - depth while owned. */
NTKERNELAPI LONG KeReadStateMutex(PRKMUTEX Mutex);

/* ---- Timers ---------------------------------------------------------------------------------- */
/* A non-signalled notification timer (KeInitializeTimer) or timer of the given type. */
NTKERNELAPI VOID KeInitializeTimer(PKTIMER Timer);
NTKERNELAPI VOID KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type);
/* Queues the timer to signal at DueTime (negative: relative, positive: absolute system time, both
   100 ns; an absolute time is converted once, at this call), then every Period ms (0: once).
   Returns TRUE if it was already queued (that expiry is cancelled). A one-shot set clears the
   state; a periodic set leaves it. A non-NULL Dpc is bug check 0xC4 (DPCs are not emulated).
   A synchronization timer satisfies one wait and resets; a notification timer stays signalled.
   IRQL <= DISPATCH_LEVEL. */
NTKERNELAPI BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc);
NTKERNELAPI BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc);
/* Dequeues the timer; TRUE if it was queued. The state is left as it is. */
NTKERNELAPI BOOLEAN KeCancelTimer(PKTIMER Timer);
NTKERNELAPI BOOLEAN KeReadStateTimer(PKTIMER Timer);

/* ---- Thread information, processes ----------------------------------------------------------- */
/* ThreadBasicInformation only; STATUS_INFO_LENGTH_MISMATCH for a wrong length,
   STATUS_INVALID_INFO_CLASS for another class. */
NTKERNELAPI NTSTATUS ZwQueryInformationThread(HANDLE ThreadHandle,
                                              THREADINFOCLASS ThreadInformationClass,
                                              PVOID ThreadInformation,
                                              ULONG ThreadInformationLength, PULONG ReturnLength);
/* Marks an emulated process terminating: creating threads in it then fails with
   STATUS_PROCESS_IS_TERMINATING, and it is signaled once its last thread has ended. The host
   process and the system process cannot be terminated: STATUS_ACCESS_DENIED. */
NTKERNELAPI NTSTATUS ZwTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);

/* ---- Priorities ------------------------------------------------------------------------------ */
/* The thread's current priority, with any wake boost still in force. */
NTKERNELAPI KPRIORITY KeQueryPriorityThread(PKTHREAD Thread);
/* Returns the previous priority (boost included) and ends any boost. 1..31 stored as given, 0
   stored as 1; outside 0..31 is bug check 0xC4. Called at PASSIVE_LEVEL or APC_LEVEL (above: bug
   check 0xA). */
NTKERNELAPI KPRIORITY KeSetPriorityThread(PKTHREAD Thread, KPRIORITY Priority);
/* New base = process base + Increment, kept in the process's class (1..15 or 16..31); |Increment|
   >= 16 saturates. Returns the previous increment (+-16 when saturated). */
NTKERNELAPI LONG KeSetBasePriorityThread(PKTHREAD Thread, LONG Increment);

/* ---- IRQL ------------------------------------------------------------------------------------ */
NTKERNELAPI KIRQL KeGetCurrentIrql(void);
/* Raising to a lower IRQL is bug check 0x9; lowering to a higher one, bug check 0xA. */
NTKERNELAPI VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
NTKERNELAPI VOID KeLowerIrql(KIRQL NewIrql);

/* ---- Processors and affinity ----------------------------------------------------------------- */
/* One processor group, group 0: processor number n is Linux CPU n (0..63); the active processors
   are the CPUs this process may use (taskset, cpuset). The processor index equals the number. */
#define ALL_PROCESSOR_GROUPS 0xffff
#define INVALID_PROCESSOR_INDEX 0xffffffff
typedef struct _PROCESSOR_NUMBER {
  USHORT Group;
  UCHAR Number;
  UCHAR Reserved;
} PROCESSOR_NUMBER, *PPROCESSOR_NUMBER;

NTKERNELAPI ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);
NTKERNELAPI KAFFINITY KeQueryActiveProcessors(void);
/* Active processors of GroupNumber (0 or ALL_PROCESSOR_GROUPS; another group has none: 0). */
NTKERNELAPI ULONG KeQueryActiveProcessorCountEx(USHORT GroupNumber);
/* Highest Linux CPU number this process may use + 1, for group 0 or ALL_PROCESSOR_GROUPS. */
NTKERNELAPI ULONG KeQueryMaximumProcessorCountEx(USHORT GroupNumber);
NTKERNELAPI USHORT KeQueryActiveGroupCount(void);
NTKERNELAPI USHORT KeQueryMaximumGroupCount(void);
/* The CPU the caller runs on; ProcNumber (optional) receives {0, that CPU}. */
NTKERNELAPI ULONG KeGetCurrentProcessorNumberEx(PPROCESSOR_NUMBER ProcNumber);
/* STATUS_SUCCESS, or STATUS_INVALID_PARAMETER for an index past KeQueryMaximumProcessorCountEx. */
NTKERNELAPI NTSTATUS KeGetProcessorNumberFromIndex(ULONG ProcIndex, PPROCESSOR_NUMBER ProcNumber);
/* The index, or INVALID_PROCESSOR_INDEX for a group other than 0 or a number out of range. */
NTKERNELAPI ULONG KeGetProcessorIndexFromNumber(PPROCESSOR_NUMBER ProcNumber);

/* Affinity of the calling thread (KAFFINITY bit n = Linux CPU n). Its user affinity is what it
   ran on before its first affinity call, remembered once. KeSetSystemAffinityThreadEx puts a
   system affinity in force and returns the previous system affinity, 0 when the thread was at its
   user affinity. KeRevertToUserAffinityThreadEx(prev) makes prev the system affinity, or, for 0,
   returns to the user affinity. A mask naming no CPU this process may use changes nothing. At most
   DISPATCH_LEVEL. */
NTKERNELAPI KAFFINITY KeSetSystemAffinityThreadEx(KAFFINITY Affinity);
NTKERNELAPI VOID KeRevertToUserAffinityThreadEx(KAFFINITY Affinity);
/* As the Ex forms, without a previous value: revert always returns to the user affinity. */
NTKERNELAPI VOID KeSetSystemAffinityThread(KAFFINITY Affinity);
NTKERNELAPI VOID KeRevertToUserAffinityThread(void);

/* ---- Time ------------------------------------------------------------------------------------ */
/* System time: 100 ns units since 1601-01-01 UTC (Precise: the finest clock; the other form may
   lag by up to a scheduler tick). Any IRQL. */
NTKERNELAPI VOID KeQuerySystemTime(PLARGE_INTEGER CurrentTime);
NTKERNELAPI VOID KeQuerySystemTimePrecise(PLARGE_INTEGER CurrentTime);
/* Interrupt time: 100 ns units since boot (CLOCK_BOOTTIME), never decreasing. QpcTimeStamp
   (optional) receives the matching KeQueryPerformanceCounter value. */
NTKERNELAPI ULONGLONG KeQueryInterruptTime(void);
NTKERNELAPI ULONG64 KeQueryInterruptTimePrecise(PULONG64 QpcTimeStamp);
/* A monotonic count (CLOCK_MONOTONIC, ns) and, in PerformanceFrequency (optional), its rate:
   1,000,000,000 Hz. */
NTKERNELAPI LARGE_INTEGER KeQueryPerformanceCounter(PLARGE_INTEGER PerformanceFrequency);
/* Busy-waits MicroSeconds (Microsoft advises at most 50) without yielding the CPU. */
NTKERNELAPI VOID KeStallExecutionProcessor(ULONG MicroSeconds);
/* 100 ns units per clock tick: 156250 (15.625 ms). */
NTKERNELAPI ULONG KeQueryTimeIncrement(void);

/* ---- Devices --------------------------------------------------------------------------------- */
NTKERNELAPI NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                    PUNICODE_STRING DeviceName, ULONG DeviceType,
                                    ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                    PDEVICE_OBJECT* DeviceObject);
/* The device leaves its driver's list at once and is freed after the last thread referencing it
   has ended. */
NTKERNELAPI VOID IoDeleteDevice(PDEVICE_OBJECT DeviceObject);

SYSTHREAD_END_DECLS

#endif /* SYSTHREAD_WDM_H */
