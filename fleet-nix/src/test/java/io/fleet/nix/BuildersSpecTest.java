package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** {@code NixEvaluator.Builder.builders/hostBuilders}: nix's machine syntax, checked up front. */
class BuildersSpecTest {
  static final String KEY =
      Base64.getEncoder()
          .encodeToString(
              "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOk1lT5sUcXOGd4kdzCzlcPQYE3XYTm8aMjBaDGC3Ph8 root@b"
                  .getBytes(StandardCharsets.UTF_8));

  @Test
  void acceptsNixMachineSyntax() {
    for (String spec :
        new String[] {
          "",
          "ssh://builder",
          "ssh-ng://root@10.0.0.5 x86_64-linux",
          "ssh-ng://root@127.0.0.1?ssh-key=/root/.ssh/id_ed25519&base64-ssh-public-host-key="
              + KEY
              + " x86_64-linux - 2",
          "ssh://nix@b1 x86_64-linux,aarch64-linux /root/.ssh/id 4 2 kvm,big-parallel - " + KEY,
          "ssh://a x86_64-linux - 1 ; ssh-ng://b aarch64-linux - 8\nssh://c",
          "@/etc/nix/machines"
        }) {
      NixEvaluator.Builder b = NixEvaluator.builder().builders(spec).hostBuilders("web-1", spec);
      assertThat(b).as(spec).isNotNull();
    }
  }

  @Test
  void rejectsWhatNixWouldMisreadNamingTheMachineAndField() {
    assertThatThrownBy(() -> NixEvaluator.builder().builders("http://builder x86_64-linux"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("machine 1")
        .hasMessageContaining("neither ssh://[user@]host nor ssh-ng://[user@]host");
    assertThatThrownBy(() -> NixEvaluator.builder().builders("ssh://a x86_64-linux - two"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("field 4 (maximum jobs) 'two' is not a whole number");
    assertThatThrownBy(() -> NixEvaluator.builder().builders("ssh://a; ssh://b x86_64 - 1 0"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("machine 2")
        .hasMessageContaining("field 2 (systems) 'x86_64'")
        .hasMessageContaining("field 5 (speed factor) '0' is not a positive number");
    assertThatThrownBy(
            () -> NixEvaluator.builder().builders("ssh://a x86_64-linux - 1 1 - - notbase64!"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("field 8 (base64 public host key)")
        .hasMessageContaining("is not base64");
    String notAKey = Base64.getEncoder().encodeToString("hello".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(
            () ->
                NixEvaluator.builder()
                    .hostBuilders("db-1", "ssh-ng://r@b?base64-ssh-public-host-key=" + notAKey))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("builders of host 'db-1'")
        .hasMessageContaining("does not decode to an OpenSSH public key line");
    assertThatThrownBy(() -> NixEvaluator.builder().builders("ssh://a 1 2 3 4 5 6 7 8"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("9 fields, more than the 8 nix reads");
    assertThatThrownBy(() -> NixEvaluator.builder().builders("ssh://a x86_64-linux key"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("field 3 (SSH key) 'key' is not an absolute path");
    assertThatThrownBy(() -> NixEvaluator.builder().builders("ssh-ng://a?ssh-key=id_rsa"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("ssh-key must be an absolute path");
    assertThatThrownBy(() -> NixEvaluator.builder().builders("@machines"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("absolute path of a machines file");
    assertThatThrownBy(() -> NixEvaluator.builder().builders(null))
        .isInstanceOf(FleetConfigException.class);
    assertThatThrownBy(() -> NixEvaluator.builder().hostBuilders(" ", "ssh://a"))
        .isInstanceOf(FleetConfigException.class);
  }
}
