import DequeModule
import Dispatch
import Foundation
import Synchronization

/// The machinery behind ``PredictorPool``: one dedicated OS thread per predictor, a bounded queue of waiting
/// calls ordered by request age (``PoolJob/queueKey``: first in, first out among calls that name no request), and
/// the counters. All shared state sits behind one lock (`state`); engine work runs outside it.
///
/// Hand-off protocol: a worker with nothing to do puts its index in `idle` and sleeps on its own semaphore. A
/// submitter that finds an idle worker puts the job in that worker's `slots` entry and signals it; only when no
/// worker is idle does a job enter `queue`. So the queue is non-empty only while every worker is busy, and
/// `queue.count` is exactly the number of waiting calls.
final class PoolCore: Sendable {
    struct State {
        var queue: Deque<PoolJob> = []
        var idle: [Int] = []
        var slots: [PoolJob?]
        var closing = false
        /// Workers that have not exited yet.
        var live: Int
        var busy = 0
        var completed = 0
        var failed = 0
        var rejected = 0
        var cancelled = 0
        var timedOut = 0
        /// Every worker thread has ended and been joined (set by the joiner after the last worker exits).
        var joined = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let size: Int
    let capacity: Int
    private let state: Mutex<State>
    private let wakeups: [DispatchSemaphore]
    /// The worker threads, joined once the last of them exits.
    private let threads = Mutex<[WorkerThread]>([])

    init(size: Int, capacity: Int) {
        self.size = size
        self.capacity = capacity
        state = Mutex(State(slots: Array(repeating: nil, count: size), live: size))
        wakeups = (0..<size).map { _ in DispatchSemaphore(value: 0) }
    }

    /// Starts worker `index` on a new thread that owns the predictor in `handoff`.
    func startWorker(index: Int, handoff: PredictorHandoff, label: String) {
        let thread = WorkerThread(name: "\(label)-\(index)") { [self] in
            workerLoop(index: index, predictor: handoff.take())
        }
        threads.withLock { $0.append(thread) }
    }

    var statistics: PoolStatistics {
        state.withLock { s in
            PoolStatistics(
                size: size, busy: s.busy, queued: s.queue.count, completed: s.completed, failed: s.failed,
                rejected: s.rejected, cancelled: s.cancelled, timedOut: s.timedOut)
        }
    }

    var isClosing: Bool { state.withLock { $0.closing } }

    // MARK: Submitting

    /// Hands `job` to an idle worker or queues it. Returns the error to fail it with when it is not accepted
    /// (the caller then resumes it); on success the pool owns the job.
    func submit(_ job: PoolJob) -> PaddleError? {
        let (worker, error): (Int?, PaddleError?) = state.withLock { s in
            if job.phase == .finished {  // cancelled before it got here (already counted)
                return (nil, PaddleError(.cancelled, "the call was cancelled before it ran"))
            }
            if s.closing {
                s.rejected += 1
                return (nil, PaddleError(.shutdown, "the predictor pool is shutting down and takes no new work"))
            }
            if let deadline = job.deadline, deadline <= .now {
                s.timedOut += 1
                return (nil, PaddleError(.timedOut, "the deadline passed before the call could start"))
            }
            if let worker = s.idle.popLast() {
                job.phase = .running
                s.slots[worker] = job
                s.busy += 1
                return (worker, nil)
            }
            guard s.queue.count < capacity else {
                s.rejected += 1
                return (nil, PaddleError(
                    .overloaded,
                    "the predictor pool is overloaded: all \(size) predictors are busy and \(s.queue.count) "
                        + "calls are queued (queue capacity \(capacity)); retry later"))
            }
            job.phase = .queued
            Self.insert(job, into: &s.queue)
            if let deadline = job.deadline {
                job.timer = Task { [weak self, job] in
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    if !Task.isCancelled { self?.expire(job) }
                }
            }
            return (nil, nil)
        }
        if let worker { wakeups[worker].signal() }
        return error
    }

    /// Queues `job` behind every job of an earlier or equal key: a call of an older request goes ahead of the
    /// calls of requests that started after it; calls with equal keys keep their order. The queue is short and
    /// almost always in order already, so the search starts at its end.
    private static func insert(_ job: PoolJob, into queue: inout Deque<PoolJob>) {
        let key = job.queueKey ?? .now
        job.queueKey = key
        var index = queue.endIndex
        while index > queue.startIndex, let previous = queue[index - 1].queueKey, previous > key { index -= 1 }
        queue.insert(job, at: index)
    }

    /// Cancels `job` if it has not started: a queued job leaves the queue and fails with `.cancelled`; a job
    /// not yet submitted is marked so that ``submit(_:)`` refuses it. A running job is left to finish.
    func cancel(_ job: PoolJob) {
        let resume: Bool = state.withLock { s in
            switch job.phase {
            case .created:
                job.phase = .finished
                s.cancelled += 1
                return false
            case .queued:
                remove(job, from: &s)
                s.cancelled += 1
                return true
            case .running, .finished:
                return false
            }
        }
        if resume { job.fail(PaddleError(.cancelled, "the call was cancelled while it waited for a predictor")) }
    }

    /// Fails `job` with `.timedOut` if it is still queued.
    private func expire(_ job: PoolJob) {
        let resume: Bool = state.withLock { s in
            guard job.phase == .queued else { return false }
            remove(job, from: &s)
            s.timedOut += 1
            return true
        }
        if resume { job.fail(PaddleError(.timedOut, "the deadline passed while the call waited for a predictor")) }
    }

    private func remove(_ job: PoolJob, from s: inout State) {
        if let index = s.queue.firstIndex(where: { $0 === job }) { s.queue.remove(at: index) }
        job.phase = .finished
        job.timer?.cancel()
        job.timer = nil
    }

    // MARK: Shutting down

    /// Refuses new work and lets the workers exit once the queue is empty. Returns at once.
    func close() {
        let sleepers: [Int] = state.withLock { s in
            s.closing = true
            defer { s.idle.removeAll() }
            return s.idle
        }
        for worker in sleepers { wakeups[worker].signal() }
    }

    /// ``close()``, then waits until every worker has finished its work, released its predictor (the last one
    /// releases the clone family) and ended: once it returns, no engine code of this pool runs on any thread.
    func shutdown() async {
        close()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = state.withLock { s in
                if s.joined { return true }
                s.drainWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Called by the last worker on its way out: joins every worker on a thread of its own (joining blocks), then
    /// wakes the callers of ``shutdown()``.
    private func joinWorkers() {
        let workers = threads.withLock { $0 }
        let joiner = Thread { [self] in
            for worker in workers { worker.join() }
            let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
                s.joined = true
                defer { s.drainWaiters.removeAll() }
                return s.drainWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
        joiner.start()
    }

    // MARK: Workers

    private enum Next {
        case run(PoolJob)
        case sleep
        case exit
    }

    /// The body of a pool thread: takes jobs until the pool closes and the queue is empty, then releases the
    /// predictor. The predictor is used by this thread only.
    private func workerLoop(index: Int, predictor initial: Predictor) {
        var predictor = initial
        while true {
            var expired: [PoolJob] = []
            let next: Next = state.withLock { s in
                if let job = s.slots[index] {
                    s.slots[index] = nil
                    return .run(job)
                }
                while let job = s.queue.popFirst() {
                    job.timer?.cancel()
                    job.timer = nil
                    if let deadline = job.deadline, deadline <= .now {
                        job.phase = .finished
                        s.timedOut += 1
                        expired.append(job)
                        continue
                    }
                    job.phase = .running
                    s.busy += 1
                    return .run(job)
                }
                if s.closing { return .exit }
                s.idle.append(index)
                return .sleep
            }
            for job in expired {
                job.fail(PaddleError(.timedOut, "the deadline passed while the call waited for a predictor"))
            }
            switch next {
            case .run(let job):
                let succeeded = job.perform(on: predictor)
                if predictor.state == .destroyed, let fresh = try? Predictor(config: predictor.config) {
                    predictor = fresh  // a body destroyed it: load the model again so the pool keeps its size
                }
                // Count before resuming, so a caller that sees its result also sees it counted.
                state.withLock { s in
                    s.busy -= 1
                    if succeeded { s.completed += 1 } else { s.failed += 1 }
                }
                job.deliver()
            case .sleep:
                wakeups[index].wait()
            case .exit:
                predictor.destroy()
                let last: Bool = state.withLock { s in
                    s.live -= 1
                    return s.live == 0
                }
                if last { joinWorkers() }
                return
            }
        }
    }
}

/// Moves a predictor from ``PredictorPool/init(config:options:)`` to the one pool thread that will own it.
///
/// `@unchecked Sendable`: the initialiser stores the predictor and drops its own reference before the thread
/// starts; ``take()`` is called once, by that thread, and from then on only that thread touches the predictor.
final class PredictorHandoff: @unchecked Sendable {
    private var predictor: Predictor?

    init(_ predictor: Predictor) {
        self.predictor = predictor
    }

    func take() -> Predictor {
        guard let predictor else { preconditionFailure("a pool predictor was taken twice") }
        self.predictor = nil
        return predictor
    }
}
