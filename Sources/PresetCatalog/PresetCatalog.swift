import Foundation

public struct PresetError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// Finds presets in the folders a user would expect, first match wins:
/// `$STYLIZE_PRESETS`, `$XDG_DATA_HOME/stylize/presets` (or `~/.local/share/…`),
/// `<prefix>/share/stylize/presets` beside an installed binary, and the
/// repository's `Presets/` (found by walking up from the binary or the
/// current folder, so a fresh `swift build` works without installing).
/// With no style given, `$STYLIZE_STYLE` if set, else the preset marked default.
public struct PresetCatalog: Sendable {
    public let searchPaths: [String]
    /// The style used when none is given, overriding the presets' own `"default"` mark
    /// (`$STYLIZE_STYLE`: a preset name, folder or .onnx file).
    public let defaultStyle: String?

    public init(searchPaths: [String], defaultStyle: String? = nil) {
        self.searchPaths = searchPaths
        self.defaultStyle = defaultStyle
    }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                executablePath: String = PresetCatalog.executablePath,
                currentDirectory: String = FileManager.default.currentDirectoryPath) {
        var paths: [String] = []
        if let explicit = environment["STYLIZE_PRESETS"], !explicit.isEmpty {
            paths += explicit.split(separator: ":").map(String.init)
        }
        if let data = Self.userDataFolder(environment: environment) { paths.append(data + "/presets") }
        let starts = Self.startFolders(executablePath: executablePath, currentDirectory: currentDirectory)
        paths.append(starts[0].deletingLastPathComponent().appendingPathComponent("share/stylize/presets").path)
        for start in starts {
            if let repo = Self.findUpwards("Presets", from: start) { paths.append(repo) }
        }
        var seen = Set<String>()
        self.searchPaths = paths.filter { seen.insert($0).inserted }
        self.defaultStyle = environment["STYLIZE_STYLE"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The user's own Stylize folder: `$XDG_DATA_HOME/stylize`, else `~/.local/share/stylize`.
    public static func userDataFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/stylize" }
        if let home = environment["HOME"], !home.isEmpty { return home + "/.local/share/stylize" }
        return nil
    }

    /// Where `scripts/fetch-loss-network.sh` puts VGG16, the loss network of optimization (`models/vgg16.onnx`
    /// in the user's folder).
    public static func lossNetworkPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        userDataFolder(environment: environment).map { $0 + "/models/vgg16.onnx" }
    }

    /// The clip `stylize video` uses when given no input: `SampleClips/city-night.mp4`
    /// in the repository, or `<prefix>/share/stylize/SampleClips/` when installed.
    public static func sampleClip(executablePath: String = PresetCatalog.executablePath,
                                  currentDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        let name = "city-night.mp4"
        let starts = startFolders(executablePath: executablePath, currentDirectory: currentDirectory)
        var candidates = [starts[0].deletingLastPathComponent().appendingPathComponent("share/stylize/SampleClips").path]
        for start in starts {
            if let folder = findUpwards("SampleClips", from: start) { candidates.append(folder) }
        }
        return candidates.map { $0 + "/" + name }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Where the repository's and the installation's folders are looked for: the binary's folder
    /// (symlinks resolved), then the current folder.
    private static func startFolders(executablePath: String, currentDirectory: String) -> [URL] {
        [URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent(),
         URL(fileURLWithPath: currentDirectory)]
    }

    /// This process's binary. Not argv[0]: run from the PATH that is a bare "stylize".
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
    }

    private static func findUpwards(_ name: String, from start: URL) -> String? {
        var dir = start.standardizedFileURL
        for _ in 0..<8 {
            let candidate = dir.appendingPathComponent(name)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue,
               FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return candidate.path
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        return nil
    }

    /// Every valid preset, one per name (earlier search paths shadow later ones), sorted by name.
    /// Folders with a broken manifest are skipped here and reported by `preset(named:)`.
    public func all() -> [Preset] {
        var byName: [String: Preset] = [:]
        for (folder, entry) in folders() where byName[entry] == nil {
            if let preset = try? Self.load(directory: folder, name: entry) { byName[entry] = preset }
        }
        return byName.values.sorted { $0.name < $1.name }
    }

    /// The first style bank in the search paths (a folder holding bank.json), if any.
    public func bank() -> StyleBank? {
        folders().lazy.compactMap { try? StyleBank.load(directory: $0.folder) }.first
    }

    /// Every folder in the search paths, in search order (each path's entries sorted), with its name.
    private func folders() -> [(folder: String, name: String)] {
        searchPaths.flatMap { root in
            ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().map { (root + "/" + $0, $0) }
        }
    }

    /// The folder a user's own presets go to: the first search path (`$STYLIZE_PRESETS` when
    /// set, else `$XDG_DATA_HOME/stylize/presets`).
    public var userFolder: String? { searchPaths.first }

    /// The repository file `relativePath` (e.g. `Training/learn_style.py`), found by walking up from
    /// the binary or the current folder as `Presets/` is; nil when not run from a checkout.
    public static func repositoryFile(_ relativePath: String, executablePath: String = PresetCatalog.executablePath,
                                      currentDirectory: String = FileManager.default.currentDirectoryPath) -> String? {
        for start in startFolders(executablePath: executablePath, currentDirectory: currentDirectory) {
            if let presets = findUpwards("Presets", from: start) {
                let path = URL(fileURLWithPath: presets).deletingLastPathComponent().appendingPathComponent(relativePath).path
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }

    /// The preset marked `"default": true` (the first by search order), else the first preset.
    public func defaultPreset() throws(PresetError) -> Preset {
        let presets = all()
        if let marked = presets.first(where: \.isDefault) { return marked }
        if let any = presets.first { return any }
        throw PresetError(message: "no style presets found (looked in \(searchPaths.joined(separator: ", ")))")
    }

    /// Resolves what the user typed after `--style`: a preset name, a preset folder, or an `.onnx` file.
    public func resolve(_ nameOrPath: String?) throws(PresetError) -> Preset {
        guard let nameOrPath, !nameOrPath.isEmpty else {
            if let defaultStyle { return try resolve(defaultStyle) }
            return try defaultPreset()
        }
        let fm = FileManager.default
        if nameOrPath.lowercased().hasSuffix(".onnx") {
            guard fm.fileExists(atPath: nameOrPath) else {
                throw PresetError(message: "\(nameOrPath): model file not found")
            }
            return Preset.adHoc(modelPath: nameOrPath)
        }
        if nameOrPath.contains("/") {
            let url = URL(fileURLWithPath: nameOrPath)
            return try Self.load(directory: url.path, name: url.lastPathComponent)
        }
        for root in searchPaths where fm.fileExists(atPath: root + "/" + nameOrPath + "/preset.json") {
            return try Self.load(directory: root + "/" + nameOrPath, name: nameOrPath)
        }
        let known = all().map(\.name)
        let hint = known.isEmpty ? "no presets are installed" : "known styles: \(known.joined(separator: ", "))"
        throw PresetError(message: "unknown style '\(nameOrPath)' (\(hint); or pass a .onnx file)")
    }

    static func load(directory: String, name: String) throws(PresetError) -> Preset {
        let manifestPath = directory + "/preset.json"
        let manifest = try decode(PresetManifest.self, at: manifestPath, missing: "\(directory): not a preset (no preset.json)",
                                  malformed: "malformed preset manifest")
        var look: BankLook?
        var models: [Preset.Variant: String]
        if let entry = manifest.bank {
            // The bank paints the variants it has; the preset's own networks the others.
            // Rows learned later paint only with the networks they were learned for.
            let bankLook = try bankLook(entry, directory: directory, manifest: manifestPath)
            let learnedFor = bankLook.addedRows.map { Set($0.parameters.keys) }
            models = try manifest.models.map { (own) throws(PresetError) in try modelPaths(own, in: directory, manifest: manifestPath) } ?? [:]
            models.merge(bankLook.bank.models.filter { learnedFor?.contains($0.key) ?? true }) { _, bank in bank }
            look = bankLook
        } else {
            models = try modelPaths(manifest.models ?? [:], in: directory, manifest: manifestPath)
        }
        let multiple = manifest.sizeMultiple ?? 4
        guard (1...64).contains(multiple) else {
            throw PresetError(message: "\(manifestPath): sizeMultiple must be between 1 and 64 (got \(multiple))")
        }
        var preset = Preset(name: name, title: manifest.title ?? name, artist: manifest.artist,
                            directory: directory, models: models, inputRange: manifest.inputRange ?? 255,
                            isPlaceholder: manifest.placeholder ?? false, isDefault: manifest.default ?? false)
        preset.sizeMultiple = multiple
        preset.bank = look
        return preset
    }

    /// The JSON file at `path` as `type`; `missing` is the whole message when it cannot be read,
    /// `malformed` follows the path when it does not decode.
    static func decode<T: Decodable>(_ type: T.Type, at path: String, missing: String,
                                     malformed: String) throws(PresetError) -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw PresetError(message: missing) }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw PresetError(message: "\(path): \(malformed)")
        }
    }

    /// A path from a manifest: absolute as written, else relative to the manifest's folder.
    static func resolve(_ file: String, in directory: String) -> String {
        file.hasPrefix("/") ? file : directory + "/" + file
    }

    /// A manifest's `"models"`: variant → absolute path of a file that exists; at least one.
    static func modelPaths(_ entries: [String: String], in directory: String,
                           manifest: String) throws(PresetError) -> [Preset.Variant: String] {
        var models: [Preset.Variant: String] = [:]
        for (key, file) in entries {
            guard let variant = Preset.Variant(rawValue: key) else {
                throw PresetError(message: "\(manifest): unknown variant '\(key)' (use quality or realtime)")
            }
            let path = resolve(file, in: directory)
            guard FileManager.default.fileExists(atPath: path) else {
                throw PresetError(message: "\(manifest): model '\(file)' is missing")
            }
            models[variant] = path
        }
        guard !models.isEmpty else { throw PresetError(message: "\(manifest): lists no models") }
        return models
    }

    private static func bankLook(_ entry: BankLookManifest, directory: String,
                                 manifest: String) throws(PresetError) -> BankLook {
        let bank = try StyleBank.load(directory: URL(fileURLWithPath: resolve(entry.folder, in: directory)).standardizedFileURL.path)
        guard (0...1).contains(entry.strength) else {
            throw PresetError(message: "\(manifest): the bank strength must be between 0 and 1 (got \(entry.strength))")
        }
        let added = try entry.rows.map { (file) throws(PresetError) in
            try AddedRows.load(path: resolve(file, in: directory))
        }
        for name in [entry.photo, entry.row] + (entry.bold.map { [$0] } ?? []) {
            try bank.check(row: name, added: added, manifest: manifest)
        }
        return BankLook(bank: bank, photoRow: entry.photo, row: entry.row, boldRow: entry.bold,
                        defaultStrength: entry.strength, addedRows: added)
    }
}
