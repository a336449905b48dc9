package io.fleet.testkit.internal;

import io.fleet.api.SecretException;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretHostCommands;
import io.fleet.testkit.FakeCommand;
import io.fleet.testkit.FakeCommandHandler;
import io.fleet.testkit.FakeHost;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Teaches every fake host the secret re-encryption pipe ({@link SecretHostCommands#reencrypt}):
 * decrypt standard input with the host's own SSH host key and encrypt the plaintext to the given
 * recipients, as {@code age -d -i <key> | age -r … } does on a real host. The cipher is found with
 * {@link SecretCipher#discover()} (so {@code fleet-secrets} must be on the test classpath). Like
 * the real pipe it exits 3 when the host's key cannot decrypt the file, and it only decrypts with
 * the key the command names if that is the host key. Registered with {@code ServiceLoader}.
 */
public final class FakeSecretCommands implements FakeCommandHandler {
  /** For {@code ServiceLoader}. */
  public FakeSecretCommands() {}

  @Override
  public Optional<CommandResult> handle(FakeHost host, FakeCommand command) {
    io.fleet.api.spi.Command c = io.fleet.api.spi.Command.of(command.argv());
    if (!SecretHostCommands.isReencrypt(c)) {
      return Optional.empty();
    }
    List<String> argv = command.argv();
    String key = argv.get(4);
    List<String> recipients = argv.subList(5, argv.size());
    if (!key.equals(SecretHostCommands.HOST_KEY)) {
      return Optional.of(
          CommandResult.of(2, "", "age: error: reading " + key + ": no such file or directory\n"));
    }
    if (recipients.isEmpty()) {
      return Optional.of(CommandResult.of(2, "", "age: error: missing recipients\n"));
    }
    SecretCipher cipher = SecretCipher.discover();
    byte[] plain;
    try {
      plain = cipher.decrypt(command.stdin(), List.of(host.privateKeyOpenSsh()));
    } catch (SecretException e) {
      return Optional.of(
          CommandResult.of(
              3,
              "",
              "age: error: no identity matched any of the recipients\n"
                  + "fleet: age cannot decrypt the secret with "
                  + key
                  + "\n"));
    }
    try {
      return Optional.of(new CommandResult(0, cipher.encrypt(plain, recipients), new byte[0]));
    } catch (SecretException e) {
      return Optional.of(
          new CommandResult(
              1,
              new byte[0],
              ("age: error: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8)));
    } finally {
      Arrays.fill(plain, (byte) 0);
    }
  }
}
