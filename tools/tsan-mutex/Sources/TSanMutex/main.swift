import Foundation
import Synchronization

// Several threads share one array, every access under one lock: race-free by construction. The critical sections
// are long enough for the lock to be contended, so that locking and unlocking take the futex slow path.
// Argument: `mutex` (Synchronization.Mutex) or `nslock` (Foundation's NSLock, a pthread mutex).

protocol Guarded: Sendable {
    func withLock(_ body: (inout [Int]) -> Void)
}

final class MutexGuarded: Guarded {
    private let state = Mutex<[Int]>([])
    func withLock(_ body: (inout [Int]) -> Void) { state.withLock { body(&$0) } }
}

final class NSLockGuarded: Guarded, @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Int] = []  // only touched with `lock` held
    func withLock(_ body: (inout [Int]) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&items)
    }
}

let mode = CommandLine.arguments.dropFirst().first ?? "mutex"
let shared: any Guarded = mode == "nslock" ? NSLockGuarded() : MutexGuarded()
let threadCount = 6
let finished = NSLock()
nonisolated(unsafe) var finishedCount = 0
let threads = (0..<threadCount).map { thread in
    Thread {
        for round in 0..<3000 {
            shared.withLock { items in
                for offset in 0..<50 { items.append(thread &* 10_000 &+ round &+ offset) }
                if items.count > 1000 { items.removeFirst(900) }
            }
        }
        finished.lock()
        finishedCount += 1
        finished.unlock()
    }
}
threads.forEach { $0.start() }
while true {
    finished.lock()
    let count = finishedCount
    finished.unlock()
    if count == threadCount { break }
    usleep(1000)
}
var last = 0
shared.withLock { last = $0.count }
print("\(mode): \(threadCount) threads done, \(last) items left")
