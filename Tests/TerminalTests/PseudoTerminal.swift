import XCTest
import Glibc

/// A pseudo-terminal for tests: `terminal` behaves like stdin/stdout in a terminal,
/// `keyboard` is the other side (what the user types, and what the terminal is sent).
enum PseudoTerminal {
    static func open() throws -> (keyboard: Int32, terminal: Int32) {
        // posix_openpt/grantpt/unlockpt aren't exported by Swift's Glibc: the
        // Linux ioctls underneath them (TIOCSPTLCK unlock, TIOCGPTN number) do the same.
        let keyboard = Glibc.open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard keyboard >= 0 else { throw XCTSkip("no /dev/ptmx") }
        var unlock: Int32 = 0, number: UInt32 = 0
        guard ioctl(keyboard, UInt(0x4004_5431), &unlock) == 0, ioctl(keyboard, UInt(0x8004_5430), &number) == 0 else {
            close(keyboard)
            throw XCTSkip("pseudo-terminal ioctls failed")
        }
        let terminal = Glibc.open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard terminal >= 0 else { close(keyboard); throw XCTSkip("cannot open /dev/pts/\(number)") }
        return (keyboard, terminal)
    }
}
