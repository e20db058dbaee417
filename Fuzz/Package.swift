// swift-tools-version: 6.0
// libFuzzer targets (Swift's -sanitize=fuzzer). A package of its own, because libFuzzer brings its
// own `main`. Build and run with scripts/fuzz.
import PackageDescription

let package = Package(
    name: "ShieldFlowFuzz",
    dependencies: [.package(name: "ShieldFlow", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "FuzzEventDecoder", dependencies: ["FuzzDriver", .product(name: "ShieldFlowCore", package: "ShieldFlow")]),
        .executableTarget(name: "FuzzNormalizer", dependencies: ["FuzzDriver", .product(name: "ShieldFlowDetection", package: "ShieldFlow")]),
        .executableTarget(name: "FuzzEngine", dependencies: ["FuzzDriver", .product(name: "ShieldFlowDetection", package: "ShieldFlow"),
                                                             .product(name: "ShieldFlowCore", package: "ShieldFlow")]),
    ],
    swiftLanguageModes: [.v6]
)
