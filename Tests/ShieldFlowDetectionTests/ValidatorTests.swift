@testable import ShieldFlowDetection
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
}
