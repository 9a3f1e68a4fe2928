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
    /// Loads OpenBLAS once (via stylize_blas_load in COpenBLAS); throws the loader's error text if it failed.
    @discardableResult
    public static func load() throws(EngineError) -> BLASInfo {
        // stylize_blas_load is idempotent and thread-safe (pthread_once); the
        // status it returns is immutable afterwards.
        guard let status = stylize_blas_load()?.pointee else {
            throw EngineError("OpenBLAS loader returned no status")
        }
        guard status.loaded != 0 else {
            let reason = cString(status.error)
            throw EngineError(reason.isEmpty ? "OpenBLAS could not be loaded" : reason)
        }
        let requested = cString(status.requested_core)
        return BLASInfo(
            corename: cString(status.corename),
            requestedCore: requested.isEmpty ? nil : requested,
            coreTypeFromUser: status.coretype_from_user != 0,
            library: cString(status.library))
    }

    /// OpenBLAS's global thread count (openblas_set_num_threads). Setting it loads first.
    /// This is process-wide: set it once, before sessions start running.
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
