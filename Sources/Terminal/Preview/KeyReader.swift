import Foundation
import Glibc

/// A key pressed in the terminal: one printable character (hotkeys like
/// `n`, `p`, `+`, `-`, `t`, space, `q`; what they mean is the caller's business).
public struct Key: Hashable, Sendable {
    public let character: Character
    public init(_ character: Character) { self.character = character }

    public static let space = Key(" ")
}

/// Reads single keypresses from stdin for hotkeys.
///
/// When the input is a terminal it is switched to non-canonical, no-echo mode
/// (keys arrive at once and don't print over the preview). Signals stay on,
/// so Ctrl-C still raises SIGINT: a SIGINT handler (a `DispatchSourceSignal`,
/// say) should call `restore()` before exiting, or the shell is left without
/// echo. `restore()` may be called from any thread. When the input is not
/// a terminal the reader is inactive and `poll` returns nil.
public final class KeyReader: @unchecked Sendable {
    private let input: Int32
    /// The settings to put back; nil once restored. Guarded by `lock`:
    /// `restore()` may come from a signal-handling thread while `poll` runs.
    private var saved: termios?
    private let lock = NSLock()
    /// Bytes read but not yet returned as keys.
    private var buffered: [UInt8] = []

    public init(input fileDescriptor: Int32 = STDIN_FILENO) {
        input = fileDescriptor
        guard isatty(fileDescriptor) != 0 else { return }
        var settings = termios()
        guard tcgetattr(fileDescriptor, &settings) == 0 else { return }
        saved = settings
        settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
        // read() returns whatever is there; waiting is poll()'s job.
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        if tcsetattr(fileDescriptor, TCSANOW, &settings) != 0 { saved = nil }
    }

    deinit { restore() }

    /// Whether the terminal is in hotkey mode (false: not a terminal, or already restored).
    public var isActive: Bool {
        lock.lock()
        defer { lock.unlock() }
        return saved != nil
    }

    /// Puts the terminal settings back as they were. Idempotent.
    public func restore() {
        lock.lock()
        defer { lock.unlock() }
        guard var settings = saved else { return }
        tcsetattr(input, TCSANOW, &settings)
        saved = nil
    }

    public func close() { restore() }

    /// The next printable key, waiting at most `timeout` seconds (0: only
    /// what's already there). Escape sequences (arrows, function keys) and
    /// control characters are skipped.
    public func poll(timeout: Double) -> Key? {
        guard isActive else { return nil }
        var deadline = timeout
        while true {
            if let key = nextKeyFromBuffer() { return key }
            guard fill(waiting: deadline) else { return nil }
            deadline = 0
        }
    }

    /// The raw bytes that arrive within `timeout` seconds (no key parsing), for replies to
    /// terminal queries (`TerminalQuery`); nil when nothing came.
    public func readBytes(timeout: Double) -> [UInt8]? {
        guard isActive, !buffered.isEmpty || fill(waiting: timeout) else { return nil }
        defer { buffered.removeAll(keepingCapacity: true) }
        return buffered
    }

    /// Reads what's available after waiting up to `seconds`; false when nothing came.
    private func fill(waiting seconds: Double) -> Bool {
        var ready = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(max(0, min(Double(Int32.max), seconds * 1000)))
        guard Glibc.poll(&ready, 1, milliseconds) > 0, ready.revents & Int16(POLLIN) != 0 else { return false }
        var chunk = [UInt8](repeating: 0, count: 64)
        let count = read(input, &chunk, chunk.count)
        guard count > 0 else { return false }
        buffered += chunk[0..<count]
        return true
    }

    private func nextKeyFromBuffer() -> Key? {
        while !buffered.isEmpty {
            let byte = buffered.removeFirst()
            if byte == 0x1B {
                skipEscapeSequence()
                continue
            }
            if byte < 0x20 || byte == 0x7F { continue }   // control characters
            if byte < 0x80 { return Key(Character(Unicode.Scalar(byte))) }
            // UTF-8: collect the continuation bytes of this character.
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            while buffered.count < length - 1 && fill(waiting: 0.01) {}
            let bytes = [byte] + buffered.prefix(length - 1)
            buffered.removeFirst(min(buffered.count, length - 1))
            if let text = String(validating: bytes, as: UTF8.self), let character = text.first {
                return Key(character)
            }
        }
        return nil
    }

    /// Drops the rest of `ESC [ … final`, `ESC O x`, or `ESC x` (Alt+key);
    /// a lone ESC key is dropped too. Terminals send a sequence in one write,
    /// so a few milliseconds is plenty to wait for its tail.
    private func skipEscapeSequence() {
        if buffered.isEmpty { _ = fill(waiting: 0.02) }
        guard !buffered.isEmpty else { return }
        let introducer = buffered.removeFirst()
        guard introducer == UInt8(ascii: "[") || introducer == UInt8(ascii: "O") else { return }
        if introducer == UInt8(ascii: "O") {
            if buffered.isEmpty { _ = fill(waiting: 0.02) }
            if !buffered.isEmpty { buffered.removeFirst() }
            return
        }
        // CSI: parameters and intermediates up to a final byte 0x40–0x7E.
        while true {
            if buffered.isEmpty && !fill(waiting: 0.02) { return }
            let byte = buffered.removeFirst()
            if (0x40...0x7E).contains(byte) { return }
        }
    }
}
