import Foundation
import Terminal

/// Hotkeys on a thread of their own, while stdin is a terminal: n/p style, +/- strength,
/// t temporal blending, space bypass, q quit.
public final class HotkeyListener: @unchecked Sendable {
    private let reader = KeyReader()
    private let done = NSCondition()
    private var stopping = false
    private var finished = false

    /// False when stdin is not a terminal (nothing is listened to).
    public var isActive: Bool { reader.isActive }

    public init(controls: LiveControls, stop: StopSignal) {
        guard reader.isActive else { finished = true; return }
        let thread = Thread { [self] in
            while stop.state == .running && !isStopping {
                guard let key = reader.poll(timeout: 0.1) else { continue }
                Self.apply(key.character, to: controls, stop: stop)
            }
            done.lock(); finished = true; done.broadcast(); done.unlock()
        }
        thread.name = "stylize.keys"
        thread.start()
    }

    /// What one key does.
    static func apply(_ key: Character, to controls: LiveControls, stop: StopSignal) {
        switch key {
        case "n", "N": controls.nextStyle()
        case "p", "P": controls.previousStyle()
        case "+", "=": controls.strengthUp()
        case "-", "_": controls.strengthDown()
        case "t", "T": controls.toggleTemporal()
        case " ": controls.toggleBypass()
        case "q", "Q": stop.finish()
        default: break
        }
    }

    private var isStopping: Bool { done.lock(); defer { done.unlock() }; return stopping }

    /// Blocks until the viewer quits (q, Ctrl-C); returns at once when no key can come.
    public func waitForQuit(_ stop: StopSignal) {
        guard isActive else { return }
        while stop.state == .running { Thread.sleep(forTimeInterval: 0.05) }
    }

    /// Stops listening and gives the terminal its settings back.
    public func close() {
        done.lock()
        stopping = true
        while !finished { done.wait() }
        done.unlock()
        reader.restore()
    }
}
