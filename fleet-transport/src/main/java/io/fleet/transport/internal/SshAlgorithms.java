package io.fleet.transport.internal;

import io.fleet.api.FleetConfigException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.schmizz.sshj.Config;
import net.schmizz.sshj.common.Factory;
import net.schmizz.sshj.transport.cipher.Cipher;

/**
 * The order in which the SSH client offers ciphers and MACs. The server takes the first of the
 * client's list it also supports, so the order decides the speed of bulk copies: sshj's default
 * puts chacha20-poly1305 first, which it computes in plain Java (BouncyCastle) at about 70 MiB/s
 * per core here, while AES-GCM and AES-CTR run on the JDK's AES-NI/CLMUL intrinsics once taken from
 * the JDK's provider ({@link JdkCiphers}) rather than BouncyCastle.
 */
public final class SshAlgorithms {
  /** The ciphers offered first, fastest first; the others follow in sshj's order. */
  public static final List<String> CIPHERS =
      List.of(
          "aes128-gcm@openssh.com",
          "aes256-gcm@openssh.com",
          "aes128-ctr",
          "aes192-ctr",
          "aes256-ctr",
          "chacha20-poly1305@openssh.com");

  /** The MACs offered first (used with the CTR ciphers; GCM carries its own). */
  public static final List<String> MACS =
      List.of(
          "hmac-sha2-256-etm@openssh.com",
          "hmac-sha2-512-etm@openssh.com",
          "hmac-sha2-256",
          "hmac-sha2-512");

  private SshAlgorithms() {}

  /**
   * Reorders {@code config}'s ciphers so that {@code ciphers} come first in that order (the others
   * after, as they were), and its MACs likewise by {@link #MACS}.
   *
   * @throws FleetConfigException if a cipher name is not one sshj knows
   */
  public static void prefer(Config config, List<String> ciphers) {
    List<Factory.Named<Cipher>> all = new ArrayList<>();
    for (Factory.Named<Cipher> f : config.getCipherFactories()) {
      Factory.Named<Cipher> jdk = Factory.Named.Util.get(JdkCiphers.factories(), f.getName());
      all.add(jdk != null ? jdk : f);
    }
    config.setCipherFactories(reorder(all, ciphers, "cipher"));
    config.setMACFactories(reorder(config.getMACFactories(), MACS, "MAC"));
  }

  private static <T> List<Factory.Named<T>> reorder(
      List<Factory.Named<T>> all, List<String> first, String what) {
    Set<Factory.Named<T>> out = new LinkedHashSet<>();
    for (String name : first) {
      Factory.Named<T> f = Factory.Named.Util.get(all, name);
      if (f == null) {
        throw new FleetConfigException(
            "SSH "
                + what
                + " '"
                + name
                + "' is not supported: choose from "
                + Factory.Named.Util.getNames(all));
      }
      out.add(f);
    }
    out.addAll(all);
    return new ArrayList<>(out);
  }
}
