import COpenBLAS

/// What the OpenBLAS loader found and chose.
public struct BLASInfo: Sendable {
    /// The kernel set OpenBLAS reports it uses ("SkylakeX", "Haswell", ...).
    public let corename: String
    /// The core we asked for through OPENBLAS_CORETYPE, if we set it.
    public let requestedCore: String?
    /// True when OPENBLAS_CORETYPE was already set by the user, so we left it alone.
    public let coreTypeFromUser: Bool
    /// The shared library that loaded.
    public let library: String
}

/// OpenBLAS, loaded at run time (see COpenBLAS.h for why it is not linked).
public enum BLAS {
    /// The process's one-time OpenBLAS set-up: call it at start-up, before
    /// loading models. It loads the library (correcting its CPU detection)
    /// and sets OpenBLAS to one thread, because sessions split work over
    /// threads of their own and OpenBLAS's pool would oversubscribe the cores
    /// under them. Only the first call does anything; later calls return the
    /// same result. Throws the loader's error text if loading failed.
    @discardableResult
    public static func load() throws(EngineError) -> BLASInfo {
        try loaded.get()
    }

    // A static let runs once, thread-safely, on first use.
    private static let loaded: Result<BLASInfo, EngineError> = {
        guard let status = stylize_blas_load()?.pointee else {
            return .failure(EngineError("OpenBLAS loader returned no status"))
        }
        guard status.loaded != 0 else {
            let reason = cString(status.error)
            return .failure(EngineError(reason.isEmpty ? "OpenBLAS could not be loaded" : reason))
        }
        stylize_blas_set_threads(1)
        let requested = cString(status.requested_core)
        return .success(BLASInfo(
            corename: cString(status.corename),
            requestedCore: requested.isEmpty ? nil : requested,
            coreTypeFromUser: status.coretype_from_user != 0,
            library: cString(status.library)))
    }()

    /// OpenBLAS's global thread count (openblas_set_num_threads); `load()`
    /// sets it to 1. Reading or setting it loads first. Process-wide: for
    /// measurements and tests, not for code that runs sessions.
    public static var threads: Int {
        get {
            guard (try? load()) != nil else { return 1 }
            return Int(stylize_blas_get_threads())
        }
        set {
            guard (try? load()) != nil else { return }
            stylize_blas_set_threads(Int32(clamping: max(1, newValue)))
        }
    }

    /// Reads a fixed-size C char array (imported as a tuple) up to its terminator.
    private static func cString<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}
