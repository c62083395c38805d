import ABIStore
import Foundation

/// A signed-in user's session: kept in memory, ended by sign-out or after `idle` without a
/// request. The token travels only in an HttpOnly cookie; the CSRF token goes in every form.
public struct WebSession: Sendable, Equatable {
    public let token: String
    public let user: String
    public let role: Store.Role
    public let csrf: String
    var lastSeen: Date
}

/// The sessions of one server. An actor: requests arrive on many threads.
public actor Sessions {
    private var sessions: [String: WebSession] = [:]
    public let idle: TimeInterval
    private let clock: @Sendable () -> Date

    public init(idle: TimeInterval = 15 * 60, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.idle = idle
        self.clock = clock
    }

    /// A new session for a user who has just signed in.
    public func begin(user: String, role: Store.Role) -> WebSession {
        let session = WebSession(token: Sessions.randomToken(), user: user, role: role, csrf: Sessions.randomToken(), lastSeen: clock())
        sessions[session.token] = session
        return session
    }

    /// The session of `token` if it has not been idle too long; using it keeps it alive.
    public func session(_ token: String?) -> WebSession? {
        guard let token, var session = sessions[token] else { return nil }
        let now = clock()
        guard now.timeIntervalSince(session.lastSeen) <= idle else {
            sessions[token] = nil
            return nil
        }
        session.lastSeen = now
        sessions[token] = session
        return session
    }

    public func end(_ token: String) { sessions[token] = nil }

    /// 32 random bytes from the system's generator (getrandom), as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
