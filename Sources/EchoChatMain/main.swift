import EchoBuiltinPlugins
import EchoChatServer
import EchoPluginAPI

// `echochat` as shipped: the host with the plugins that come with EchoChat.
await EchoChat.main(registry: .builtin)
