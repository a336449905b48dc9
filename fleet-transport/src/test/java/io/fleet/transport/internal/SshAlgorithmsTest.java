package io.fleet.transport.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import java.util.List;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.common.Factory;
import net.schmizz.sshj.transport.cipher.Cipher;
import org.junit.jupiter.api.Test;

/** The cipher and MAC order the SSH client offers, and which provider computes AES. */
class SshAlgorithmsTest {
  @Test
  void aesComesFirstComputedByTheJdkAndNothingIsLost() {
    DefaultConfig sshjDefault = new DefaultConfig();
    List<String> before = Factory.Named.Util.getNames(sshjDefault.getCipherFactories());
    DefaultConfig config = new DefaultConfig();
    SshAlgorithms.prefer(config, SshAlgorithms.CIPHERS);
    List<String> after = Factory.Named.Util.getNames(config.getCipherFactories());
    assertThat(after.subList(0, SshAlgorithms.CIPHERS.size()))
        .containsExactlyElementsOf(SshAlgorithms.CIPHERS);
    assertThat(after).containsExactlyInAnyOrderElementsOf(before);
    Cipher gcm = Factory.Named.Util.create(config.getCipherFactories(), "aes128-gcm@openssh.com");
    assertThat(gcm.getClass().getName()).startsWith(JdkCiphers.class.getName());
    Cipher sshjGcm =
        Factory.Named.Util.create(sshjDefault.getCipherFactories(), "aes128-gcm@openssh.com");
    assertThat(gcm.getIVSize()).isEqualTo(sshjGcm.getIVSize());
    assertThat(gcm.getBlockSize()).isEqualTo(sshjGcm.getBlockSize());
    assertThat(gcm.getAuthenticationTagSize()).isEqualTo(sshjGcm.getAuthenticationTagSize());
    assertThat(Factory.Named.Util.getNames(config.getMACFactories()).get(0))
        .isEqualTo("hmac-sha2-256-etm@openssh.com");
  }

  @Test
  void jdkAndSshjAesGcmProduceTheSameBytes() {
    byte[] key = new byte[32];
    byte[] iv = new byte[16];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) (i * 7 + 1);
    }
    for (int i = 0; i < iv.length; i++) {
      iv[i] = (byte) (i * 13 + 5);
    }
    for (String name : List.of("aes128-gcm@openssh.com", "aes256-ctr")) {
      DefaultConfig ours = new DefaultConfig();
      SshAlgorithms.prefer(ours, SshAlgorithms.CIPHERS);
      Cipher a = Factory.Named.Util.create(ours.getCipherFactories(), name);
      Cipher b = Factory.Named.Util.create(new DefaultConfig().getCipherFactories(), name);
      a.init(Cipher.Mode.Encrypt, key, iv);
      b.init(Cipher.Mode.Encrypt, key, iv);
      for (int packet = 0; packet < 3; packet++) {
        // SSH packets are whole blocks: length + payload for CTR; payload + tag after the AAD for
        // GCM.
        byte[] x = packet(packet, a.getAuthenticationTagSize() > 0 ? 16 : 12);
        byte[] y = x.clone();
        if (a.getAuthenticationTagSize() > 0) {
          a.updateWithAAD(x, 0, 4, x.length - 4 - a.getAuthenticationTagSize());
          b.updateWithAAD(y, 0, 4, y.length - 4 - b.getAuthenticationTagSize());
        } else {
          a.update(x, 0, x.length);
          b.update(y, 0, y.length);
        }
        assertThat(x).as(name + " packet " + packet).isEqualTo(y);
      }
    }
  }

  private static byte[] packet(int n, int extra) {
    byte[] p = new byte[4 + 64 + extra];
    p[3] = 64;
    for (int i = 4; i < 68; i++) {
      p[i] = (byte) (i + n);
    }
    return p;
  }

  @Test
  void anUnknownNameSaysWhatIsSupported() {
    assertThatThrownBy(() -> SshAlgorithms.prefer(new DefaultConfig(), List.of("rot13")))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("'rot13'")
        .hasMessageContaining("aes256-ctr");
  }
}
