import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a kernel may split its work over the threads of the session running it.
///
/// A session with `threads: n` owns a `WorkerPool` of n − 1 parked threads;
/// the thread calling `run` is thread 0 and works too. Kernels cut their work
/// into tasks that do not depend on the thread count (so results are the same
/// for any count) and hand them to `run(_:)` (or `forEach`). OpenBLAS itself
/// stays at one thread: its pool is process-wide and would fight with other
/// sessions.
///
/// Scratch: a kernel's `scratchCount` is what one thread needs. Thread t
/// owns `scratch(base, thread: t)`, `scratchStride` floats past thread t − 1's,
/// so threads never share scratch.
struct ParallelContext {
    /// Threads that may run tasks at once (1 for a serial run).
    let threadCount: Int
    /// Floats between the scratch regions of consecutive threads.
    let scratchStride: Int
    private let pool: WorkerPool?

    init(pool: WorkerPool?, scratchStride: Int) {
        self.pool = pool
        self.threadCount = pool?.threadCount ?? 1
        self.scratchStride = scratchStride
    }

    /// One thread: tasks run in order on the calling thread.
    static var serial: ParallelContext { ParallelContext(pool: nil, scratchStride: 0) }

    /// Thread `thread`'s scratch region, given thread 0's.
    @inline(__always)
    func scratch(_ base: UnsafeMutablePointer<Float>, thread: Int) -> UnsafeMutablePointer<Float> {
        base + thread * scratchStride
    }

    /// Runs `work.run(task:thread:)` once for every task in 0..<work.taskCount
    /// and returns when all have finished. Tasks are handed out in order to
    /// whichever thread is free; one thread runs one task at a time, so
    /// per-thread scratch is safe. Allocates nothing: the work stays on the
    /// caller's stack and the workers reach it through a pointer.
    func run<Work: ParallelWork>(_ work: Work) {
        let count = work.taskCount
        guard count > 0 else { return }
        guard let pool, threadCount > 1, count > 1 else {
            for task in 0..<count { work.run(task: task, thread: 0) }
            return
        }
        withUnsafePointer(to: work) { pointer in
            pool.distribute(count, UnsafeRawPointer(pointer), Work.invoke)
        }
    }

    /// The same with a closure: `body(task, thread)` for every task in 0..<count.
    /// Convenient, but making the closure callable from the workers allocates
    /// a small context per call; per-frame kernels should prefer `run(_:)`.
    func forEach(_ count: Int, _ body: (_ task: Int, _ thread: Int) -> Void) {
        guard count > 0 else { return }
        guard pool != nil, threadCount > 1, count > 1 else {
            for task in 0..<count { body(task, 0) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            run(ClosureWork(taskCount: count, body: escapable))
        }
    }
}

/// Work a kernel splits into independent tasks (see `ParallelContext.run`).
protocol ParallelWork {
    var taskCount: Int { get }
    func run(task: Int, thread: Int)
}

extension ParallelWork {
    /// Calls `run` on the work at `pointer`; a plain function once specialized, so passing it allocates nothing.
    static func invoke(_ pointer: UnsafeRawPointer, _ task: Int, _ thread: Int) {
        pointer.assumingMemoryBound(to: Self.self).pointee.run(task: task, thread: thread)
    }
}

private struct ClosureWork: ParallelWork {
    let taskCount: Int
    let body: (Int, Int) -> Void
    func run(task: Int, thread: Int) { body(task, thread) }
}

/// Threads created once per session and parked between kernels. Only the
/// session's own thread calls `distribute`, never two at once.
final class WorkerPool: @unchecked Sendable {
    /// Including the calling thread.
    let threadCount: Int
    private let shared: PoolState
    private var threads: [pthread_t] = []

    init(threads: Int) {
        threadCount = max(1, threads)
        shared = PoolState()
        for index in 1..<max(threadCount, 1) {
            let start = Unmanaged.passRetained(WorkerStart(state: shared, index: index)).toOpaque()
            var thread = pthread_t()
            let result = pthread_create(&thread, nil, { argument in
                let start = Unmanaged<WorkerStart>.fromOpaque(argument!).takeRetainedValue()
                start.state.workerLoop(thread: start.index)
                return nil
            }, start)
            precondition(result == 0, "cannot start a worker thread (error \(result))")
            self.threads.append(thread)
        }
    }

    deinit {
        shared.stop()
        for thread in threads { pthread_join(thread, nil) }
    }

    /// Runs `invoke(work, task, thread)` for every task; `work` must stay valid until this returns.
    fileprivate func distribute(_ count: Int, _ work: UnsafeRawPointer,
                                _ invoke: @escaping (UnsafeRawPointer, Int, Int) -> Void) {
        shared.run(count: count, work: work, invoke: invoke)
    }
}

private final class WorkerStart {
    let state: PoolState
    let index: Int
    init(state: PoolState, index: Int) {
        self.state = state
        self.index = index
    }
}

/// What the calling thread and the workers share.
///
/// A run publishes the job (work, task count) and bumps `generation`;
/// parked workers wake up and *join* it: a compare-and-swap on `membership`
/// (generation, a closed bit, the number of workers inside). When the caller
/// has run out of tasks it closes the run and waits only for the workers
/// inside, never for ones that have not woken yet (on a busy machine a
/// worker may not get a core for milliseconds); those find the run closed
/// and go back to sleep without touching the job.
private final class PoolState: @unchecked Sendable {
    private let generation = Atomic<Int>(0)
    private let membership = Atomic<Int>(0)
    private let nextTask = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private var taskCount = 0
    /// The job: the work (on the caller's stack) and how to run one of its tasks.
    private var work: UnsafeRawPointer?
    private var invoke: ((UnsafeRawPointer, Int, Int) -> Void)?
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private let done: UnsafeMutablePointer<pthread_cond_t>

    private static let closedBit = 1 << 31
    private static let activeMask = closedBit - 1

    /// Polls before sleeping: kernels follow each other within microseconds,
    /// and a futex wake costs tens of them. Kept short so that many sessions
    /// on few cores do not burn each other's time.
    private static let spinLimit = 4000

    init() {
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        done = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(done, nil)
    }

    deinit {
        pthread_cond_destroy(done)
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(mutex)
        done.deallocate()
        wake.deallocate()
        mutex.deallocate()
    }

    func run(count: Int, work: UnsafeRawPointer, invoke: @escaping (UnsafeRawPointer, Int, Int) -> Void) {
        self.work = work
        self.invoke = invoke
        taskCount = count
        nextTask.store(0, ordering: .relaxed)
        // Only this thread writes the generation.
        let current = (generation.load(ordering: .relaxed) + 1) & 0x7fff_ffff
        membership.store(current << 32, ordering: .releasing)
        pthread_mutex_lock(mutex)
        generation.store(current, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)

        runTasks(thread: 0)

        // Close the run; wait for the workers inside it, if any.
        if membership.bitwiseOr(Self.closedBit, ordering: .acquiringAndReleasing).oldValue & Self.activeMask != 0 {
            var spins = 0
            while membership.load(ordering: .acquiring) & Self.activeMask != 0 && spins < Self.spinLimit { spins += 1 }
            if membership.load(ordering: .acquiring) & Self.activeMask != 0 {
                pthread_mutex_lock(mutex)
                while membership.load(ordering: .acquiring) & Self.activeMask != 0 { pthread_cond_wait(done, mutex) }
                pthread_mutex_unlock(mutex)
            }
        }
        self.work = nil
        self.invoke = nil
    }

    /// Takes tasks until none are left. Not inlined, so that any reference
    /// counting on the job is balanced before the thread leaves the run.
    @inline(never)
    private func runTasks(thread: Int) {
        guard let work, let invoke else { return }
        while true {
            let task = nextTask.wrappingAdd(1, ordering: .relaxed).oldValue
            if task >= taskCount { return }
            invoke(work, task, thread)
        }
    }

    /// Enters run `current` unless it is over (closed) or already replaced.
    private func join(_ current: Int) -> Bool {
        var state = membership.load(ordering: .acquiring)
        while state >> 32 == current && state & Self.closedBit == 0 {
            let (exchanged, original) = membership.compareExchange(
                expected: state, desired: state + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            state = original
        }
        return false
    }

    func workerLoop(thread: Int) {
        var seen = 0
        while true {
            var spins = 0
            var current = generation.load(ordering: .acquiring)
            while current == seen && spins < Self.spinLimit && !stopping.load(ordering: .relaxed) {
                spins += 1
                current = generation.load(ordering: .acquiring)
            }
            if current == seen {
                pthread_mutex_lock(mutex)
                while generation.load(ordering: .acquiring) == seen && !stopping.load(ordering: .relaxed) {
                    pthread_cond_wait(wake, mutex)
                }
                pthread_mutex_unlock(mutex)
                current = generation.load(ordering: .acquiring)
            }
            if stopping.load(ordering: .acquiring) { return }
            seen = current
            guard join(current) else { continue }
            runTasks(thread: thread)
            let left = membership.wrappingSubtract(1, ordering: .acquiringAndReleasing).newValue
            if left & Self.closedBit != 0 && left & Self.activeMask == 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_signal(done)
                pthread_mutex_unlock(mutex)
            }
        }
    }

    func stop() {
        pthread_mutex_lock(mutex)
        stopping.store(true, ordering: .releasing)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }
}
