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
#define STATUS_SEMAPHORE_LIMIT_EXCEEDED ((NTSTATUS)0xC0000047L)
#define STATUS_THREAD_IS_TERMINATING ((NTSTATUS)0xC000004BL)
#define STATUS_PRIVILEGE_NOT_HELD ((NTSTATUS)0xC0000061L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define STATUS_PROCESS_IS_TERMINATING ((NTSTATUS)0xC000010AL)
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
  ThreadObject = 6
} KOBJECTS;

typedef enum _THREADINFOCLASS {
  ThreadBasicInformation = 0,
  ThreadTimes = 1,
  ThreadPriority = 2,
  ThreadBasePriority = 3,
  ThreadAffinityMask = 4
} THREADINFOCLASS;

/* ---- Dispatcher objects ---------------------------------------------------------------------- */
/* SignalState is the futex word of the object; WaitListHead holds the emulator's waiter count. */
typedef struct _DISPATCHER_HEADER {
  UCHAR Type;
  UCHAR Signalling;
  UCHAR Size;
  UCHAR Reserved1;
  LONG SignalState;
  union {
    LIST_ENTRY WaitListHead;
    LONG SysThreadWaiters; /* the emulator's count of blocked waiters */
  };
} DISPATCHER_HEADER;

typedef struct _KEVENT {
  DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

typedef struct _KSEMAPHORE {
  DISPATCHER_HEADER Header;
  LONG Limit;
} KSEMAPHORE, *PKSEMAPHORE, *PRKSEMAPHORE;

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
/* Whether normal kernel APCs are disabled for the caller: TRUE inside a system thread's critical
   region, which every start routine begins in. */
NTKERNELAPI BOOLEAN KeAreApcsDisabled(void);

/* ---- Objects and handles --------------------------------------------------------------------- */
NTKERNELAPI NTSTATUS ObReferenceObjectByHandle(HANDLE Handle, ACCESS_MASK DesiredAccess,
                                               POBJECT_TYPE ObjectType, KPROCESSOR_MODE AccessMode,
                                               PVOID* Object, PVOID HandleInformation);
NTKERNELAPI LONG_PTR ObfReferenceObject(PVOID Object);
NTKERNELAPI LONG_PTR ObfDereferenceObject(PVOID Object);
#define ObReferenceObject(o) ObfReferenceObject(o)
#define ObDereferenceObject(o) ObfDereferenceObject(o)
NTKERNELAPI NTSTATUS ZwClose(HANDLE Handle);
#define NtClose ZwClose

/* ---- Waiting --------------------------------------------------------------------------------- */
/* Timeout: NULL waits forever, 0 polls, negative is relative and positive absolute (system time),
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
NTKERNELAPI NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                                            PLARGE_INTEGER Interval);

NTKERNELAPI VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
NTKERNELAPI LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
NTKERNELAPI LONG KeResetEvent(PRKEVENT Event);
NTKERNELAPI VOID KeClearEvent(PRKEVENT Event);
NTKERNELAPI LONG KeReadStateEvent(PRKEVENT Event);
NTKERNELAPI VOID KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit);
/* Returns the previous count; releasing past the limit is bug check 0xC4 (Windows raises
   STATUS_SEMAPHORE_LIMIT_EXCEEDED, which no start routine can handle here). */
NTKERNELAPI LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment,
                                    BOOLEAN Wait);
NTKERNELAPI LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore);

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
NTKERNELAPI KPRIORITY KeQueryPriorityThread(PKTHREAD Thread);
/* Returns the previous priority. 1..31 stored as given, 0 stored as 1; outside 0..31 is bug check
   0xC4. Called at PASSIVE_LEVEL or APC_LEVEL (above: bug check 0xA). */
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
NTKERNELAPI ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);
/* Sets the calling thread's affinity (bit n = Linux CPU n, group 0 = CPUs 0..63) and returns the
   previous one; KeRevertToUserAffinityThreadEx restores it. A mask naming no usable
   CPU leaves the affinity unchanged. */
NTKERNELAPI KAFFINITY KeSetSystemAffinityThreadEx(KAFFINITY Affinity);
NTKERNELAPI VOID KeRevertToUserAffinityThreadEx(KAFFINITY Affinity);

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
