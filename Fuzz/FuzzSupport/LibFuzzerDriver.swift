@_silgen_name("LLVMFuzzerRunDriver")
private func runDriver(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                       _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as `<Target>_main`, not `main`, so libFuzzer's own
/// `main` never runs: each fuzz target's entry point hands its arguments and its test function
/// (also exported as `LLVMFuzzerTestOneInput`, which libFuzzer's library refers to) to the driver.
public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                         _ test: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt {
    var count = argc, arguments = argv
    return runDriver(&count, &arguments, test)
}
