import Dispatch
import Foundation

/// Turns Ctrl-C into a `StopSignal`: the first SIGINT (or SIGTERM) asks the
/// job to finish a shorter file, the second aborts it. The default handler is
/// replaced only while the returned object lives.
public final class InterruptHandler: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let signals: [Int32] = [SIGINT, SIGTERM]

    /// `onEscalate` runs on a private queue with the new state, e.g. to print a message.
    public init(stop: StopSignal, onEscalate: @escaping @Sendable (StopSignal.State) -> Void = { _ in }) {
        let queue = DispatchQueue(label: "stylize.signals")
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            // The handler holds the source until deinit cancels it, which releases both.
            source.setEventHandler {
                // Signals that arrive together are coalesced into one event; count each.
                for _ in 0..<max(1, Int(source.data)) { onEscalate(stop.escalate()) }
            }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
}
