import Foundation
import Gateway

/// HTTP dates (RFC 9110 §5.6.7): formats IMF-fixdate, parses IMF-fixdate and the two obsolete
/// forms (RFC 850, asctime). Invalid dates are nil, so the header that held one is ignored.
public enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT`, truncated to whole seconds.
    public static func format(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondsOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        let weekday = weekdays[Int(((days % 7) + 7) % 7)]
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d GMT", weekday, day, months[month - 1], year,
                      Int(secondsOfDay / 3600), Int(secondsOfDay / 60 % 60), Int(secondsOfDay % 60))
    }

    /// Seconds since 1970 for any of the three forms; nil when invalid.
    public static func parse(_ text: String) -> Int64? {
        let parts = text.trimmingOWS().split(separator: " ", omittingEmptySubsequences: true)
        var day: Int?, month: Int?, year: Int?, time: Substring?
        if parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT" {
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            (day, month, year, time) = (Int(parts[1]), months.firstIndex(of: String(parts[2])).map { $0 + 1 }, Int(parts[3]), parts[4])
        } else if parts.count == 4, parts[0].hasSuffix(","), parts[3] == "GMT" {
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (two-digit years: 1970-2069)
            let pieces = parts[1].split(separator: "-")
            guard pieces.count == 3, let short = Int(pieces[2]) else { return nil }
            (day, month, year, time) = (Int(pieces[0]), months.firstIndex(of: String(pieces[1])).map { $0 + 1 }, short < 70 ? 2000 + short : 1900 + short, parts[2])
        } else if parts.count == 5 {
            // asctime: Sun Nov  6 08:49:37 1994
            (day, month, year, time) = (Int(parts[2]), months.firstIndex(of: String(parts[1])).map { $0 + 1 }, Int(parts[4]), parts[3])
        }
        guard let day, let month, let year, let time, (1...31).contains(day), year >= 1900 else { return nil }
        let clock = time.split(separator: ":")
        guard clock.count == 3, let h = Int(clock[0]), let m = Int(clock[1]), let s = Int(clock[2]), h < 24, m < 60, s < 61 else { return nil }
        return days(fromCivil: year, month, day) * 86_400 + Int64(h * 3600 + m * 60 + s)
    }

    /// Howard Hinnant's days-from-civil, exact for the proleptic Gregorian calendar.
    private static func days(fromCivil year: Int, _ month: Int, _ day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64((month + 9) % 12)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (month <= 2 ? 1 : 0)), Int(month), Int(day))
    }
}
