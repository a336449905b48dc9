package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secret installer of secrets.nix against a secret's owner who tries to take over root's
 * writes, and against names and entries it must not use. Run as root (as activation is); the race
 * runs the attacker as {@code nobody} with {@code setpriv}.
 */
class InstallSecretPartTest {
  private static final Path INSTALLER = Path.of("src/main/nix/nixos/install-secret-part.sh");
  private static final String VICTIM_TEXT = "root's own file\n";
  private static final int ROUNDS = 300;

  @TempDir Path tmp;

  @Test
  void theOwnerRacingTheInstallerNeverTakesOverARootFile() throws Exception {
    requireRoot();
    Path setpriv = ExternalTools.require("setpriv");
    Path base = worldTraversable();
    Path root = base.resolve("run-secrets");
    Path victim = base.resolve("victim");
    Files.writeString(victim, VICTIM_TEXT);
    Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
    Path raw = base.resolve("raw");
    Files.writeString(raw, "<PLAINTEXT>the secret");
    // The first install makes the directory, so the attacker has something to race in.
    assertThat(install(root, "db", "secret", raw, "nobody", "nogroup", "0400").exit).isZero();

    // As the secret's owner: replace every staged file of the installer by a link to the victim.
    String attack =
        "d=$1; v=$2; while :; do for f in \"$d\"/.secret.*; do"
            + " [ -L \"$f\" ] && continue; [ -e \"$f\" ] || continue;"
            + " rm -f \"$f\" 2>/dev/null && ln -s \"$v\" \"$f\" 2>/dev/null; done; done";
    Process attacker =
        new ProcessBuilder(
                setpriv.toString(),
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "sh",
                "-c",
                attack,
                "attacker",
                root.resolve("db").toString(),
                victim.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        install(root, "db", "secret", raw, "nobody", "nogroup", "0400");
        String owner = Files.getOwner(victim, LinkOption.NOFOLLOW_LINKS).getName();
        String text = Files.readString(victim);
        String perms = PosixFilePermissions.toString(Files.getPosixFilePermissions(victim));
        if (!owner.equals("root") || !text.equals(VICTIM_TEXT) || !perms.equals("rw-------")) {
          Assertions.fail(
              "round "
                  + round
                  + ": the owner took over root's file: now owned by "
                  + owner
                  + ", mode "
                  + perms
                  + ", holding "
                  + (text.equals(VICTIM_TEXT) ? "its own text" : "other text"));
        }
      }
      assertThat(attacker.isAlive()).as("the attacker ran through all rounds").isTrue();
    } finally {
      attacker.destroyForcibly();
      attacker.waitFor(10, TimeUnit.SECONDS);
    }
    Path secret = root.resolve("db/secret");
    assertThat(Files.readString(secret)).isEqualTo("the secret");
    assertThat(Files.getOwner(secret, LinkOption.NOFOLLOW_LINKS).getName()).isEqualTo("nobody");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)))
        .isEqualTo("r--------");
    // The directory is root's; the owner reaches the part but cannot list, add or remove.
    Path dir = root.resolve("db");
    assertThat(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName()).isEqualTo("root");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwx--x--x");
  }

  @Test
  void theGroupMayListTheDirectoryWhenTheModeGivesItReadAccess() throws Exception {
    requireRoot();
    Path base = worldTraversable();
    Path root = base.resolve("run-secrets");
    Path raw = base.resolve("raw");
    Files.writeString(raw, "<PLAINTEXT>shared");
    assertThat(install(root, "ca.pem", "public", raw, "nobody", "nogroup", "0440").exit).isZero();
    Path dir = root.resolve("ca.pem");
    assertThat(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName()).isEqualTo("root");
    assertThat(
            Files.readAttributes(dir, java.nio.file.attribute.PosixFileAttributes.class)
                .group()
                .getName())
        .isEqualTo("nogroup");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
        .isEqualTo("rwxr-x--x");
  }

  @Test
  void namesThatLeaveTheSecretsDirectoryAreRefused() throws Exception {
    Path base = worldTraversable();
    Path root = base.resolve("run/secrets");
    Path raw = base.resolve("raw");
    Files.writeString(raw, "<PLAINTEXT>escaped");
    String user = whoami();
    for (String[] bad :
        new String[][] {
          {"../escaped", "secret"},
          {"..", "secret"},
          {"ok", "../../escaped"},
          {"ok", ".."},
          {".hidden", "secret"},
          {"a/b", "secret"},
          {"ok", "x/y"},
          {"", "secret"},
          {"ok", ""}
        }) {
      Result r = install(root, bad[0], bad[1], raw, user, user, "0400");
      assertThat(r.exit).as("%s / %s: %s", bad[0], bad[1], r.out).isEqualTo(2);
      assertThat(r.out).contains("is not a valid");
    }
    assertThat(base.resolve("run/escaped")).doesNotExist();
    assertThat(base.resolve("escaped")).doesNotExist();
    assertThat(base.resolve("run/secrets/ok")).doesNotExist();
  }

  @Test
  void entriesFleetDidNotMakeAreRefusedNotFollowed() throws Exception {
    Path base = worldTraversable();
    Path root = base.resolve("run-secrets");
    Files.createDirectories(root);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-x--x"));
    Path raw = base.resolve("raw");
    Files.writeString(raw, "<PLAINTEXT>the secret");
    String user = whoami();
    Path elsewhere = Files.createDirectory(base.resolve("elsewhere"));

    // A link where the secret's directory belongs.
    Files.createSymbolicLink(root.resolve("linked"), elsewhere);
    Result linkedDir = install(root, "linked", "secret", raw, user, user, "0400");
    assertThat(linkedDir.exit).isEqualTo(1);
    assertThat(linkedDir.out).contains("was not made by fleet");
    // A directory others can write (what the installer used to leave: the owner's directory).
    Path writable = Files.createDirectory(root.resolve("writable"));
    Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertThat(install(root, "writable", "secret", raw, user, user, "0400").exit).isEqualTo(1);
    // A link, or a directory, where the part belongs.
    Files.createDirectory(root.resolve("parts"));
    Files.setPosixFilePermissions(
        root.resolve("parts"), PosixFilePermissions.fromString("rwx------"));
    Files.createSymbolicLink(root.resolve("parts/secret"), elsewhere.resolve("target"));
    Result linkedPart = install(root, "parts", "secret", raw, user, user, "0400");
    assertThat(linkedPart.exit).isEqualTo(1);
    assertThat(linkedPart.out).contains("is not a regular file fleet made");
    Files.createDirectory(root.resolve("parts/public"));
    assertThat(install(root, "parts", "public", raw, user, user, "0400").exit).isEqualTo(1);

    try (var left = Files.list(elsewhere)) {
      assertThat(left).as("nothing was written through a link").isEmpty();
    }
    try (var left = Files.list(writable)) {
      assertThat(left).isEmpty();
    }
    assertThat(root.resolve("parts/public")).isDirectory().isEmptyDirectory();
  }

  private static void requireRoot() throws Exception {
    if (!whoami().equals("root")) {
      String message = "the installer's race test runs as root (as activation does)";
      if (ExternalTools.isCi()) {
        Assertions.fail(message + "; CI=true runs as root, so it must not be skipped");
      }
      Assumptions.abort(message);
    }
  }

  /** A directory under the test's temporary one that {@code nobody} can pass through. */
  private Path worldTraversable() throws IOException {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path base = Files.createDirectory(tmp.resolve("host"));
    Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
    return base;
  }

  private static String whoami() throws Exception {
    return run(List.of("id", "-un")).out.trim();
  }

  private static Result install(
      Path root, String name, String part, Path raw, String owner, String group, String mode)
      throws Exception {
    return run(
        List.of(
            "sh",
            INSTALLER.toAbsolutePath().toString(),
            root.toString(),
            "/nonexistent-identity",
            name,
            part,
            raw.toString(),
            owner,
            group,
            mode));
  }

  private record Result(int exit, String out) {}

  private static Result run(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Result(p.waitFor(), out);
  }
}
