import EchoPluginAPI
import Testing

@Suite("Auth diagnosis lines")
struct AuthDiagnosisTests {
    @Test(
        "values line up after the label; long labels take one space; continuations and items are indented",
        arguments: [
            (DiagnosisLine.field("server", "ldap://dir"), "server:        ldap://dir"),
            (.field("display name", "Bob"), "display name:  Bob"),
            (.field("required group cn=chat-users", "member"), "required group cn=chat-users: member"),
            (.username("Bob"), "username:      Bob"),
            (.continuation("cn=staff"), "               cn=staff"),
            (.item("uid=x"), "  uid=x"),
        ])
    func text(line: DiagnosisLine, expected: String) {
        #expect(line.description == expected)
    }

    @Test("the first username line says whom a login would sign in")
    func username() {
        let diagnosis = AuthDiagnosis(
            lines: [.field("entry", "uid=bob"), .username("Bob"), .username("other")], canSignIn: true, backendName: "LDAP")
        #expect(diagnosis.username == "Bob")
        #expect(diagnosis.lines.map(\.label) == ["entry", "username", "username"])
        #expect(AuthDiagnosis(lines: [.field("result", "none")], canSignIn: false, backendName: "LDAP").username == nil)
        #expect(PluginAPIVersion.current >= PluginAPIVersion(1, 5))
    }
}
