import Testing

@testable import EchoChatServer

@Suite("duplicate keys in JSON bodies")
struct JSONDuplicateKeysTests {
    @Test(
        arguments: [
            (#"{"a":1,"b":2}"#, nil),
            (#"{"a":1,"a":2}"#, "a"),
            (#"{"a":1,"\u0061":2}"#, "a"),
            (#"{"a":{"b":1},"b":2}"#, nil),
            (#"{"a":{"b":1,"b":2}}"#, "b"),
            (#"{"a":[{"x":1},{"x":2}],"b":"a"}"#, nil),
            (#"{"list":["a","a"],"s":"\"a\":1"}"#, nil),
            (#"{"😀":1,"\ud83d\ude00":2}"#, "😀"),
            (#"[{"k":1},{"k":1}]"#, nil),
            (#"{"k":1,"k""#, "k"),
            (#"{"k":1, "k\"#, nil),
            ("", nil),
        ] as [(String, String?)])
    func firstDuplicate(json: String, expected: String?) {
        #expect(JSONDuplicateKeys.first(in: json.utf8) == expected)
    }
}
