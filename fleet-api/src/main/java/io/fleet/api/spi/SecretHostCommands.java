package io.fleet.api.spi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The commands secret rotation runs on hosts, shared by {@code fleet-secrets} (which sends them)
 * and the testkit's fake hosts (which interpret them). Each is {@code sh -c <constant script> sh
 * <args…>}: every variable value is a positional argument, never part of the script text.
 */
public final class SecretHostCommands {
  /** The host's SSH host key, which secrets are encrypted to and decrypted with on the host. */
  public static final String HOST_KEY = "/etc/ssh/ssh_host_ed25519_key";

  /**
   * Decrypts an age file from standard input with the identity file {@code $1} and encrypts the
   * plaintext to the recipients {@code $2…} in one pipe, writing the new age file to standard
   * output. The plaintext exists only in the pipe between the two {@code age} processes. Exits 3
   * (after the second {@code age} saw end of input) when the first cannot decrypt.
   */
  public static final String REENCRYPT_SCRIPT =
      "set -eu\n"
          + "key=$1\n"
          + "shift\n"
          + "n=$#\n"
          + "for r in \"$@\"; do set -- \"$@\" -r \"$r\"; done\n"
          + "shift \"$n\"\n"
          + "exec 3>&1\n"
          + "st=$( { { age -d -i \"$key\"; echo \"$?\" >&4; } | age \"$@\" >&3; } 4>&1 )\n"
          + "if [ \"$st\" != 0 ]; then\n"
          + "  echo \"fleet: age cannot decrypt the secret with $key\" >&2\n"
          + "  exit 3\n"
          + "fi\n";

  /**
   * Runs a generator script {@code $1} with {@code $out} set to a new empty directory and an {@code
   * encrypt} command on {@code PATH} that encrypts standard input to the recipients {@code $2…}
   * ({@code age -R}); the script's own output goes to standard error. Then prints one line per file
   * left in {@code $out}: its name, a space, and its content in base64. Exits 97 when the script
   * removed {@code $out}, 98 when {@code $out} holds something that is not a regular file. The
   * temporary directory is removed on exit.
   */
  public static final String GENERATE_SCRIPT =
      "set -eu\n"
          + "script=$1\n"
          + "shift\n"
          + "tmp=$(mktemp -d)\n"
          + "trap 'rm -rf \"$tmp\"' EXIT\n"
          + "mkdir \"$tmp/out\" \"$tmp/bin\"\n"
          + ": > \"$tmp/recipients\"\n"
          + "for r in \"$@\"; do printf '%s\\n' \"$r\" >> \"$tmp/recipients\"; done\n"
          + "printf '%s\\n' '#!/bin/sh' 'exec age -R \"$FLEET_RECIPIENTS\"' > \"$tmp/bin/encrypt\"\n"
          + "chmod 755 \"$tmp/bin/encrypt\"\n"
          + "export FLEET_RECIPIENTS=\"$tmp/recipients\"\n"
          + "export out=\"$tmp/out\"\n"
          + "PATH=\"$tmp/bin:$PATH\" sh -e -c \"$script\" fleet-generator >&2\n"
          + "if [ ! -d \"$out\" ]; then\n"
          + "  echo 'fleet: the generator script removed $out' >&2\n"
          + "  exit 97\n"
          + "fi\n"
          + "for f in \"$out\"/*; do\n"
          + "  [ -e \"$f\" ] || continue\n"
          + "  if [ ! -f \"$f\" ]; then\n"
          + "    echo \"fleet: \\$out/${f##*/} is not a regular file\" >&2\n"
          + "    exit 98\n"
          + "  fi\n"
          + "  printf '%s ' \"${f##*/}\"\n"
          + "  base64 < \"$f\" | tr -d '\\n'\n"
          + "  printf '\\n'\n"
          + "done\n";

  private SecretHostCommands() {}

  /**
   * The command that prints the public key of {@code hostKey} ({@code cat <hostKey>.pub}), whose
   * first two fields are the host's {@code ssh-ed25519 AAAA…} recipient.
   */
  public static Command readHostKey(String hostKey) {
    return Command.of("cat", hostKey + ".pub");
  }

  /**
   * The re-encryption command: {@link #REENCRYPT_SCRIPT} decrypting with {@code hostKey} (as root)
   * and encrypting to {@code recipients}; feed it the age file as {@code stdin}.
   */
  public static Command reencrypt(String hostKey, Collection<String> recipients, byte[] ageFile) {
    List<String> argv = new ArrayList<>(List.of("sh", "-c", REENCRYPT_SCRIPT, "sh", hostKey));
    argv.addAll(recipients);
    return Command.builder()
        .argv(argv)
        .stdin(ageFile)
        .sudo(true)
        .timeout(Duration.ofMinutes(2))
        .build();
  }

  /**
   * The generator command: {@link #GENERATE_SCRIPT} running {@code script} for {@code recipients}.
   */
  public static Command generate(String script, Collection<String> recipients, Duration timeout) {
    List<String> argv = new ArrayList<>(List.of("sh", "-c", GENERATE_SCRIPT, "sh", script));
    argv.addAll(recipients);
    return Command.builder().argv(argv).timeout(timeout).build();
  }

  /** Whether {@code command} is a {@link #reencrypt} command. */
  public static boolean isReencrypt(Command command) {
    return isScript(command, REENCRYPT_SCRIPT);
  }

  /** Whether {@code command} is a {@link #generate} command. */
  public static boolean isGenerate(Command command) {
    return isScript(command, GENERATE_SCRIPT);
  }

  private static boolean isScript(Command command, String script) {
    List<String> a = command.argv();
    return a.size() >= 5
        && a.get(0).equals("sh")
        && a.get(1).equals("-c")
        && a.get(2).equals(script)
        && a.get(3).equals("sh");
  }
}
