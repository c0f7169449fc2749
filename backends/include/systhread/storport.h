/*
 * <systhread/storport.h> - the StorPort system-thread routines (docs/contracts.md 1.9, section 6).
 *
 * A miniport's threads belong to an adapter, named by its HwDeviceExtension (from
 * SysThreadCreateAdapter in <systhread/harness.h>). An adapter runs at most as many live threads
 * as the machine has logical processors (or the runtime's configured adapter limit); past it,
 * creation returns STOR_STATUS_UNSUCCESSFUL. A ThreadContext is an opaque token that is never
 * reused: once its thread has ended, every routine given it returns STOR_STATUS_INVALID_PARAMETER.
 */
#ifndef SYSTHREAD_STORPORT_H
#define SYSTHREAD_STORPORT_H

#include <systhread/wdm.h>

SYSTHREAD_BEGIN_DECLS

#define STOR_STATUS_SUCCESS 0x00000000UL
#define STOR_STATUS_UNSUCCESSFUL 0xC1000001UL
#define STOR_STATUS_NOT_IMPLEMENTED 0xC1000002UL
#define STOR_STATUS_INSUFFICIENT_RESOURCES 0xC1000003UL
#define STOR_STATUS_BUFFER_TOO_SMALL 0xC1000004UL
#define STOR_STATUS_ACCESS_DENIED 0xC1000005UL
#define STOR_STATUS_INVALID_PARAMETER 0xC1000006UL
#define STOR_STATUS_INVALID_DEVICE_REQUEST 0xC1000007UL
#define STOR_STATUS_INVALID_IRQL 0xC1000008UL
#define STOR_STATUS_INVALID_DEVICE_STATE 0xC1000009UL
#define STOR_STATUS_INVALID_BUFFER_SIZE 0xC100000AUL
#define STOR_STATUS_UNSUPPORTED_VERSION 0xC100000BUL
#define STOR_STATUS_BUSY 0xC100000CUL

/* KPRIORITY of each level: 7, 8, 12, 13, 14, 15, 18. */
typedef enum _STOR_THREAD_PRIORITY {
  StorThreadPriorityBackground = 0,
  StorThreadPriorityNormal = 1,
  StorThreadPriorityDelayed = 2,
  StorThreadPriorityCritical = 3,
  StorThreadPrioritySuperCritical = 4,
  StorThreadPriorityHyperCritical = 5,
  StorThreadPriorityRealTime = 6
} STOR_THREAD_PRIORITY,
    *PSTOR_THREAD_PRIORITY;

typedef VOID STOR_THREAD_START_ROUTINE(PVOID StartContext);
typedef STOR_THREAD_START_ROUTINE* PSTOR_THREAD_START_ROUTINE;

typedef struct _STOR_GROUP_AFFINITY {
  KAFFINITY Mask;
  USHORT Group;
  USHORT Reserved[3];
} STOR_GROUP_AFFINITY, *PSTOR_GROUP_AFFINITY;

/* Creates an adapter thread. Priority NULL means StorThreadPriorityNormal. NULL HwDeviceExtension
   or StartRoutine, an unknown adapter or a priority outside the enum: INVALID_PARAMETER. */
NTKERNELAPI ULONG StorPortCreateSystemThread(PVOID HwDeviceExtension,
                                             PSTOR_THREAD_START_ROUTINE StartRoutine,
                                             PVOID StartContext, PSTOR_THREAD_PRIORITY Priority,
                                             PVOID* ThreadContext);
/* STOR_STATUS_INVALID_IRQL unless called at PASSIVE_LEVEL. */
NTKERNELAPI ULONG StorPortSetPriorityThread(PVOID HwDeviceExtension, PVOID ThreadContext,
                                            STOR_THREAD_PRIORITY Priority);
/* Ends the calling adapter thread (ThreadContext NULL, or the caller's own); never returns then.
   Any other context is ignored (the verifier reports it). */
NTKERNELAPI VOID StorPortTerminateSystemThread(PVOID HwDeviceExtension, PVOID ThreadContext);
/* Group 0 only. ThreadContext NULL means the calling thread. */
NTKERNELAPI ULONG StorPortSetSystemGroupAffinityThread(PVOID HwDeviceExtension, PVOID ThreadContext,
                                                       PSTOR_GROUP_AFFINITY Affinity,
                                                       PSTOR_GROUP_AFFINITY PreviousAffinity);
/* STOR_STATUS_INVALID_IRQL above DISPATCH_LEVEL. */
NTKERNELAPI ULONG StorPortRevertToUserGroupAffinityThread(PVOID HwDeviceExtension,
                                                          PVOID ThreadContext,
                                                          PSTOR_GROUP_AFFINITY PreviousAffinity);

SYSTHREAD_END_DECLS

#endif /* SYSTHREAD_STORPORT_H */
