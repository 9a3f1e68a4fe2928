/// How frames are drawn in the terminal, best first.
public enum PreviewMode: String, CaseIterable, Sendable {
    /// Kitty graphics protocol: raw RGB, scaled by the terminal. Full resolution.
    case kitty
    /// DEC sixel: 256-colour paletted bitmap, dithered. Full resolution.
    case sixel
    /// Upper-half blocks with 24-bit colours: two pixels per cell.
    case truecolor
    /// Upper-half blocks with the xterm 256-colour palette: works nearly everywhere.
    case ansi256

    /// Picks a mode from the environment alone (no terminal round trip), in order:
    ///
    /// 1. Inside a multiplexer (`TMUX` or `STY` set, `TERM` = `screen*`/`tmux*`,
    ///    `TERM_PROGRAM=tmux`): never graphics. Passthrough needs opt-in
    ///    configuration and images don't survive pane switches or redraws, so
    ///    it's colour blocks: `truecolor` if `COLORTERM` says so, else `ansi256`.
    /// 2. Kitty graphics: kitty (`TERM=xterm-kitty` or `KITTY_WINDOW_ID`),
    ///    WezTerm (`TERM_PROGRAM=WezTerm`, `TERM=wezterm`), Ghostty
    ///    (`TERM_PROGRAM=ghostty`, `TERM=xterm-ghostty`).
    /// 3. Sixel: terminals that always have it: foot (`TERM=foot*`), mlterm
    ///    (`TERM=mlterm*` or `MLTERM` set), contour (`TERM_PROGRAM=contour`),
    ///    or any `TERM` naming sixel. Plain xterm is not trusted: its sixel
    ///    support is a build and resource option, usually off.
    ///    (`detect(environment:askSixel:)` asks the terminal itself.)
    /// 4. `truecolor` when `COLORTERM` is `truecolor` or `24bit`.
    /// 5. `ansi256` otherwise.
    public static func detect(environment: [String: String]) -> PreviewMode {
        let term = (environment["TERM"] ?? "").lowercased()
        let program = (environment["TERM_PROGRAM"] ?? "").lowercased()
        let colorTerm = (environment["COLORTERM"] ?? "").lowercased()
        func isSet(_ name: String) -> Bool { !(environment[name] ?? "").isEmpty }

        let colourBlocks: PreviewMode = (colorTerm == "truecolor" || colorTerm == "24bit") ? .truecolor : .ansi256
        if isInsideMultiplexer(environment) { return colourBlocks }

        if term == "xterm-kitty" || isSet("KITTY_WINDOW_ID") { return .kitty }
        if program == "wezterm" || term == "wezterm" { return .kitty }
        if program == "ghostty" || term == "xterm-ghostty" { return .kitty }

        if term.hasPrefix("foot") || term.hasPrefix("mlterm") || isSet("MLTERM")
            || program == "contour" || term.contains("sixel") {
            return .sixel
        }
        return colourBlocks
    }

    /// `detect(environment:)`, then, where the environment leaves it open — an xterm-compatible
    /// `TERM` (xterm, and the many terminals that call themselves xterm-256color: konsole,
    /// Windows Terminal, iTerm2, VTE…) outside a multiplexer — the terminal's own answer:
    /// `askSixel` is a `TerminalQuery` round trip, and only `true` picks sixel.
    public static func detect(environment: [String: String], askSixel: () -> Bool?) -> PreviewMode {
        let guess = detect(environment: environment)
        let term = (environment["TERM"] ?? "").lowercased()
        guard !guess.drawsPixels, term.hasPrefix("xterm"), !isInsideMultiplexer(environment) else { return guess }
        return askSixel() == true ? .sixel : guess
    }

    /// tmux or GNU screen: graphics need opt-in passthrough there and don't survive redraws.
    private static func isInsideMultiplexer(_ environment: [String: String]) -> Bool {
        let term = (environment["TERM"] ?? "").lowercased()
        func isSet(_ name: String) -> Bool { !(environment[name] ?? "").isEmpty }
        return isSet("TMUX") || isSet("STY") || term.hasPrefix("screen") || term.hasPrefix("tmux")
            || (environment["TERM_PROGRAM"] ?? "").lowercased() == "tmux"
    }

    /// Whether this mode draws pixels (the terminal's own image support)
    /// rather than coloured character cells.
    public var drawsPixels: Bool { self == .kitty || self == .sixel }
}
