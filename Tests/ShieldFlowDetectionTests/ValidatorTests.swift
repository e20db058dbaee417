@testable import ShieldFlowDetection
import ShieldFlowCore
import XCTest

final class ValidatorTests: XCTestCase {
    func testLuhnAndIIN() {
        XCTAssertTrue(Validators.luhn("4539 1488 0343 6467"))
        XCTAssertTrue(Validators.luhn("3714 496353 98431"))        // Amex
        XCTAssertFalse(Validators.luhn("4539 1488 0343 6468"))     // checksum
        XCTAssertFalse(Validators.luhn("1229192435689187"))        // no issuer
        XCTAssertFalse(Validators.luhn("4111 1111 1111 1111"))     // documentation test number
    }

    func testSSN() {
        XCTAssertTrue(Validators.ssn("343-32-9564"))
        for bad in ["000-17-1602", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "123-45-6789"] {
            XCTAssertFalse(Validators.ssn(Substring(bad)), bad)
        }
    }

    func testIBAN() {
        XCTAssertTrue(Validators.iban("GB82 WEST 1234 5698 7654 32"))
        XCTAssertTrue(Validators.iban("DE89370400440532013000"))
        XCTAssertFalse(Validators.iban("GB82 WEST 1234 5698 7654 33"))   // mod-97
        XCTAssertFalse(Validators.iban("DE8937040044053201300"))         // length for DE
    }

    func testPhoneNumbersUseNANPRulesForCountryCodeOne() {
        for good in ["+1 792 769 2057", "+14093920122", "1-409-392-0122", "(607) 938-3774", "+44 20 7946 0958", "+4930123456789"] {
            XCTAssertTrue(Validators.phone(Substring(good)), good)
        }
        // +1 with nine digits, a NANP area code starting with 0 or 1, an exchange starting with 1, one repeated digit.
        for bad in ["+1234567890", "+1 123 456 7890", "(212) 123-4567", "+1 555 055 5555", "+44 11 1111 1111"] {
            XCTAssertFalse(Validators.phone(Substring(bad)), bad)
        }
    }

    func testJWTNeedsJSONHeaderAndPayload() {
        XCTAssertTrue(Validators.jwt("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"))
        XCTAssertFalse(Validators.jwt("eyJub3QganNvbg.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"))
    }

    func testPublicAddresses() {
        XCTAssertTrue(Validators.publicIPv4("86.116.201.30"))
        for bad in ["10.1.2.3", "192.168.1.1", "127.0.0.1", "172.20.1.1", "169.254.1.1", "256.1.1.1", "1.2.3", "01.2.3.4"] {
            XCTAssertFalse(Validators.publicIPv4(Substring(bad)), bad)
        }
        XCTAssertTrue(Validators.publicIPv6("2607:f8b0:4005:80a::200e"))
        XCTAssertFalse(Validators.publicIPv6("::1"))
        XCTAssertFalse(Validators.publicIPv6("fe80::1"))
        XCTAssertFalse(Validators.publicIPv6("2001:db8::1"))
    }

    func testPlaceholdersAreNotSecrets() {
        XCTAssertTrue(Validators.isPlaceholder("AKIAIOSFODNN7EXAMPLE"))
        XCTAssertTrue(Validators.isPlaceholder("YOUR_API_KEY_HERE"))
        XCTAssertTrue(Validators.isPlaceholder("xxxxxxxxxxxxxxxx"))
        XCTAssertFalse(Validators.isPlaceholder("AKIA3BO47OWOO5SB2GLS"))
        XCTAssertTrue(Validators.genericSecret("T7#kq9Lm!2vXz8Rw"))
        XCTAssertFalse(Validators.genericSecret("password123"))
    }

    /// A password in a sentence: a letter and a digit or a symbol; words, hyphenated words, a
    /// sentence's own "!" and placeholders are not passwords.
    func testPasswordsInProse() {
        for value in ["Tr0ub4dor&3xK9", "hunter2", "Kx7#mP2q", "Winter2025!", "Gato_1987"] {
            XCTAssertTrue(Validators.password(value[...]), value)
        }
        for value in ["incorrect", "case-sensitive", "valid!", "required?", "********", "<your-password>", "a1", "YOUR_PASSWORD_1"] {
            XCTAssertFalse(Validators.password(value[...]), value)
        }
    }

    /// The value is masked and never echoed: not in the masked text, not in the finding's excerpt.
    func testPasswordInProseIsMaskedEverywhere() {
        let r = Fixtures.engine.scan("Hi! btw my bank password is Lola1989$ if you need to log in for me", surface: .prompt)
        XCTAssertEqual(r.action, .allowMasked)
        XCTAssertEqual(r.maskedText, "Hi! btw my bank password is [REDACTED:PASSWORD] if you need to log in for me")
        XCTAssertTrue(r.findings.allSatisfy { !$0.excerpt.contains("Lola1989") })
    }

    /// The byte paths answer as the definitions do, on values shaped like what the PII patterns
    /// hand over (digits with separators, a leading plus, brackets; emails with example domains in
    /// any case) and on random bytes.
    func testASCIIPathsAgreeWithTheDefinitions() {
        var rng = RandomizedTests.SplitMix64(state: 20261124)
        let pieces = ["4", "5", "3", "9", "1", "0", "6", "2", "7", "8", " ", "-", ".", "(", ")", "+", "1", "00", "4539", "3714",
                      "6011", "2221", "34", "37", "65", "a", "Z", "@", "example.com", "Example.ORG", "x.io", "co", ".", "_", "\r\n",
                      "!", "?", "'", "Your", "XXXX", "pass", "<", "#"]
        var checked = 0
        for round in 0..<40_000 {
            var value = ""
            let n = Int.random(in: 0...24, using: &rng)
            if round % 4 == 3 {
                for _ in 0..<n { value.append(Character(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng)))) }
            } else {
                for _ in 0..<n { value += pieces.randomElement(using: &rng)! }
            }
            for name in ["luhn", "ssn", "phone", "email", "password"] {
                let validator = Validators.all[name]!
                let fast = Array(value.utf8).withUnsafeBufferPointer { validator($0) }
                XCTAssertEqual(fast, validator.text(value[...]), "\(name) on \(value.debugDescription)")
                checked += 1
            }
        }
        for (name, value, expected) in [("luhn", "4539 1488 0343 6467", true), ("luhn", "4539 1488 0343 6468", false),
                                        ("ssn", "343-32-9564", true), ("ssn", "078-05-1120", false), ("ssn", "123-45-6789", false),
                                        ("phone", "+1 792 769 2057", true), ("phone", "(212) 123-4567", false),
                                        ("email", "jane.doe@acme-corp.io", true), ("email", "bob@Example.COM", false),
                                        // Not ASCII: the definition decides (Arabic-Indic digits are digits).
                                        ("luhn", "٤٥٣٩ ١٤٨٨ ٠٣٤٣ ٦٤٦٧", true), ("email", "jane@exämple.io", true)] {
            let validator = Validators.all[name]!
            XCTAssertEqual(Array(value.utf8).withUnsafeBufferPointer { validator($0) }, expected, "\(name) \(value)")
        }
        XCTAssertEqual(checked, 200_000)
    }
}
