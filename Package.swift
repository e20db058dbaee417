// swift-tools-version: 6.0
import PackageDescription

// Layering (see docs/ARCHITECTURE.md):
//   ShieldFlowCore        pure types and policy, no I/O, no C
//   PCRE2Adapter          the only module that imports CPCRE2
//   KafkaAdapter          the only module that touches librdkafka (through the tiny CKafkaShim)
//   RedisAdapter          the only module that imports CHiredis
//   CurlAdapter           the only module that touches libcurl and zlib (through CCurlShim)
//   ShieldFlowDetection   rules-as-data engine on top of Core + PCRE2Adapter
//   ShieldFlowPipeline    records → decisions / dead letters, trust through a TrustStore (no Kafka)
//   shieldflow            the CLI
// Each system-library target names its Debian package (`providers`), so `swift package` and
// `scripts/setup` agree on every native dependency.
let package = Package(
    name: "ShieldFlow",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "shieldflow", targets: ["shieldflow"]),
        .library(name: "ShieldFlowCore", targets: ["ShieldFlowCore"]),
        .library(name: "ShieldFlowDetection", targets: ["ShieldFlowDetection"]),
        .library(name: "ShieldFlowPipeline", targets: ["ShieldFlowPipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CPCRE2", path: "Sources/CPCRE2", pkgConfig: "libpcre2-8",
                       providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CRdKafka", path: "Sources/CRdKafka", pkgConfig: "rdkafka",
                       providers: [.apt(["librdkafka-dev"])]),
        // No pkgConfig for hiredis: Debian's hiredis.pc carries -D_FILE_OFFSET_BITS=64, which SwiftPM
        // rejects with a warning on every build; the header is on the default include path.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis",
                       providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl",
                       providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "CKafkaShim", dependencies: ["CRdKafka"]),
        .target(name: "KafkaAdapter", dependencies: ["CKafkaShim"]),
        .target(name: "CCurlShim", dependencies: ["CCurl"], linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CurlAdapter", dependencies: ["CCurlShim"]),
        .target(name: "ShieldFlowCore"),
        .target(name: "PCRE2Adapter", dependencies: ["CPCRE2"]),
        .target(name: "RedisAdapter", dependencies: ["CHiredis"]),
        .target(name: "ShieldFlowDetection",
                dependencies: ["ShieldFlowCore", "PCRE2Adapter", .product(name: "Yams", package: "Yams")]),
        .target(name: "ShieldFlowPipeline", dependencies: ["ShieldFlowCore", "ShieldFlowDetection", "KafkaAdapter", "RedisAdapter", "CurlAdapter",
                                                   .product(name: "Yams", package: "Yams"),
                                                   .product(name: "Logging", package: "swift-log"),
                                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .executableTarget(name: "shieldflow",
                          dependencies: ["ShieldFlowCore", "ShieldFlowDetection", "ShieldFlowPipeline", "KafkaAdapter", "CurlAdapter",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log"),
                                         .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),

        .testTarget(name: "ShieldFlowCoreTests", dependencies: ["ShieldFlowCore"]),
        .testTarget(name: "KafkaAdapterTests", dependencies: ["KafkaAdapter"]),
        .testTarget(name: "ShieldFlowPipelineTests", dependencies: ["ShieldFlowPipeline", "ShieldFlowDetection", "ShieldFlowCore", "RedisAdapter", "KafkaAdapter"]),
        .testTarget(name: "ShieldFlowDetectionTests",
                    dependencies: ["ShieldFlowDetection", "ShieldFlowCore", "PCRE2Adapter"]),
    ],
    swiftLanguageModes: [.v6]
)
