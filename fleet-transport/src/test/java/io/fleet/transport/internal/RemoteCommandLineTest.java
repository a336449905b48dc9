package io.fleet.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.spi.Command;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemoteCommandLineTest {
  @Test
  void plainCommandIsItsArgvQuoted() {
    Command c = Command.of("echo", "a b", "it's");
    assertThat(RemoteCommandLine.line(c, true)).isEqualTo("echo 'a b' 'it'\\''s'");
  }

  @Test
  void sudoOnlyForNonRootLoginsAndOnlyWhenAsked() {
    Command asRoot = Command.builder().addArgv("nix-env", "--version").sudo(true).build();
    assertThat(RemoteCommandLine.argv(asRoot, true))
        .containsExactly("sudo", "-n", "--", "nix-env", "--version");
    assertThat(RemoteCommandLine.argv(asRoot, false)).containsExactly("nix-env", "--version");
    assertThat(RemoteCommandLine.argv(Command.of("id"), true)).containsExactly("id");
  }

  @Test
  void environmentGoesThroughEnvInsideSudo() {
    Command c =
        Command.builder()
            .addArgv("sh", "-c", "echo $A")
            .putEnv("A", "x y; $z")
            .putEnv("B", "")
            .sudo(true)
            .build();
    List<String> argv = RemoteCommandLine.argv(c, true);
    assertThat(argv)
        .containsExactly("sudo", "-n", "--", "env", "A=x y; $z", "B=", "sh", "-c", "echo $A");
    assertThat(RemoteCommandLine.line(c, true))
        .isEqualTo("sudo -n -- env 'A=x y; $z' B= sh -c 'echo $A'");
  }

  @Test
  void recognisesSudoAskingForAPassword() {
    assertThat(RemoteCommandLine.isSudoPasswordPrompt(1, "sudo: a password is required\n"))
        .isTrue();
    assertThat(RemoteCommandLine.isSudoPasswordPrompt(1, "other failure")).isFalse();
    assertThat(RemoteCommandLine.isSudoPasswordPrompt(0, "sudo: a password is required")).isFalse();
  }
}
