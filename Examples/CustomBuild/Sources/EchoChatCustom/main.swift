import EchoBuiltinPlugins
import EchoChatServer
import EchoPluginAPI
import ExtraPlugins

// The built-in plugins, and this site's own: every command of `echochat` works as usual, and
// plugins.json may name "command" in the auth chain and "even" as the sub-room strategy.
var registry = PluginRegistry.builtin
registry.register(auth: CommandAuth.self)
registry.register(subrooms: EvenStrategy.self)
await EchoChat.main(registry: registry)
