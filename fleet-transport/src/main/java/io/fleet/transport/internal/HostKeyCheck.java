package io.fleet.transport.internal;

import io.fleet.api.TransportException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;
import net.schmizz.sshj.transport.verification.OpenSSHKnownHosts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies one host's key for one connection attempt, and remembers why it refused so the caller
 * can raise a {@link TransportException} that says what to do. Never trusts blindly: a key pinned
 * in the fleet data must match exactly; without a pin, {@code known_hosts} decides; an unknown key
 * is accepted only when the caller enabled that, and then it is logged.
 */
public final class HostKeyCheck implements HostKeyVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(HostKeyCheck.class);

  private final String host;
  private final Optional<String> pinnedLine;
  private final Optional<Path> knownHosts;
  private final boolean acceptUnknown;
  private volatile TransportException refusal;

  /**
   * A check for {@code host}.
   *
   * @param pinnedLine the host's {@code ssh-ed25519 AAAA… [comment]} line, if recorded
   * @param knownHosts the {@code known_hosts} file consulted when nothing is pinned
   * @param acceptUnknown whether to accept (and log) a key that neither pins nor lists
   */
  public HostKeyCheck(
      String host, Optional<String> pinnedLine, Optional<Path> knownHosts, boolean acceptUnknown) {
    this.host = host;
    this.pinnedLine = pinnedLine;
    this.knownHosts = knownHosts;
    this.acceptUnknown = acceptUnknown;
  }

  /** Why the last verification refused, if it did. */
  public Optional<TransportException> refusal() {
    return Optional.ofNullable(refusal);
  }

  @Override
  public boolean verify(String hostname, int port, PublicKey key) {
    byte[] offered = blob(key);
    String offeredFp = fingerprint(offered);
    if (pinnedLine.isPresent()) {
      byte[] expected = pinnedBlob(pinnedLine.get());
      if (Arrays.equals(expected, offered)) {
        LOG.debug("host {}: key {} matches the key pinned in the fleet data", host, offeredFp);
        return true;
      }
      refusal =
          new TransportException(
              host,
              TransportException.Reason.HOST_KEY_MISMATCH,
              offered(hostname, port, key, offeredFp)
                  + " but the fleet data pins "
                  + pinnedType(pinnedLine.get())
                  + " "
                  + fingerprint(expected)
                  + ": refusing to connect. If the host was reinstalled on purpose, record its new"
                  + " key (hosts."
                  + host
                  + ".encryptionKey, then re-encrypt its secrets); otherwise someone may be"
                  + " intercepting the connection");
      return false;
    }
    if (knownHosts.isPresent() && Files.isRegularFile(knownHosts.get())) {
      Verdict v = checkKnownHosts(hostname, port, key);
      if (v == Verdict.MATCH) {
        return true;
      }
      if (v == Verdict.CHANGED) {
        refusal =
            new TransportException(
                host,
                TransportException.Reason.HOST_KEY_MISMATCH,
                offered(hostname, port, key, offeredFp)
                    + " but "
                    + knownHosts.get()
                    + " lists a different key for it (expected "
                    + String.join(", ", knownFingerprints(hostname, port))
                    + "): refusing to connect. If the host was reinstalled on purpose, remove"
                    + " the old line with ssh-keygen -R; otherwise someone may be intercepting"
                    + " the connection");
        return false;
      }
    }
    if (acceptUnknown) {
      LOG.warn(
          "host {} ({}:{}): accepting unknown host key {} {} because accepting unknown host keys"
              + " was enabled; pin it in the fleet data (hosts.{}.encryptionKey) to verify it"
              + " from now on",
          host,
          hostname,
          port,
          KeyType.fromKey(key),
          offeredFp,
          host);
      return true;
    }
    refusal =
        new TransportException(
            host,
            TransportException.Reason.HOST_KEY_UNKNOWN,
            offered(hostname, port, key, offeredFp)
                + ", which is neither pinned in the fleet data nor listed in "
                + knownHosts.map(Path::toString).orElse("a known_hosts file")
                + ": refusing to connect. Check the fingerprint out of band (ssh-keygen -lf"
                + " /etc/ssh/ssh_host_ed25519_key.pub on the host), then record the key in"
                + " hosts."
                + host
                + ".encryptionKey or known_hosts, or explicitly enable accepting unknown host"
                + " keys");
    return false;
  }

  /** The start of every refusal: {@code host h (hostname:port) offered host key TYPE SHA256:…}. */
  private String offered(String hostname, int port, PublicKey key, String offeredFp) {
    return "host "
        + host
        + " ("
        + hostname
        + ":"
        + port
        + ") offered host key "
        + KeyType.fromKey(key)
        + " "
        + offeredFp;
  }

  @Override
  public List<String> findExistingAlgorithms(String hostname, int port) {
    if (pinnedLine.isPresent()) {
      return List.of(pinnedType(pinnedLine.get()));
    }
    List<String> algorithms = new ArrayList<>();
    for (OpenSSHKnownHosts.KnownHostEntry e : knownEntries(hostname, port)) {
      algorithms.add(e.getType().toString());
    }
    return algorithms;
  }

  private enum Verdict {
    MATCH,
    CHANGED,
    UNKNOWN
  }

  private Verdict checkKnownHosts(String hostname, int port, PublicKey key) {
    List<OpenSSHKnownHosts.KnownHostEntry> entries = knownEntries(hostname, port);
    KeyType type = KeyType.fromKey(key);
    boolean sameType = false;
    for (OpenSSHKnownHosts.KnownHostEntry e : entries) {
      if (e.getType() != type) {
        continue;
      }
      sameType = true;
      try {
        if (e.verify(key)) {
          return Verdict.MATCH;
        }
      } catch (IOException ex) {
        // An unreadable entry does not vouch for anything.
      }
    }
    // As OpenSSH: a host listed with other key types only is not "changed" but unknown for this
    // type; one listed with this type and another key is a mismatch.
    return sameType ? Verdict.CHANGED : Verdict.UNKNOWN;
  }

  private List<String> knownFingerprints(String hostname, int port) {
    List<String> fps = new ArrayList<>();
    for (OpenSSHKnownHosts.KnownHostEntry e : knownEntries(hostname, port)) {
      String line = e.getLine();
      String[] parts = line == null ? new String[0] : line.trim().split("\\s+");
      for (int i = 0; i + 1 < parts.length; i++) {
        if (parts[i].equals(e.getType().toString())) {
          try {
            fps.add(parts[i] + " " + fingerprint(Base64.getDecoder().decode(parts[i + 1])));
          } catch (IllegalArgumentException ex) {
            fps.add(parts[i] + " (unreadable)");
          }
          break;
        }
      }
    }
    return fps.isEmpty() ? List.of("(no readable entry)") : fps;
  }

  private List<OpenSSHKnownHosts.KnownHostEntry> knownEntries(String hostname, int port) {
    if (knownHosts.isEmpty() || !Files.isRegularFile(knownHosts.get())) {
      return List.of();
    }
    String lookup = port == 22 ? hostname : "[" + hostname + "]:" + port;
    try {
      String text = Files.readString(knownHosts.get());
      OpenSSHKnownHosts kh = new OpenSSHKnownHosts(new StringReader(text));
      List<OpenSSHKnownHosts.KnownHostEntry> matching = new ArrayList<>();
      for (OpenSSHKnownHosts.KnownHostEntry e : kh.entries()) {
        if (e.appliesTo(lookup)) {
          matching.add(e);
        }
      }
      return matching;
    } catch (IOException e) {
      LOG.warn("cannot read {}: {}; treating host {} as unknown", knownHosts.get(), e, host);
      return List.of();
    }
  }

  /** The SSH wire encoding of {@code key}. */
  static byte[] blob(PublicKey key) {
    return new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
  }

  /** OpenSSH's {@code SHA256:…} fingerprint of a key blob. */
  public static String fingerprint(byte[] blob) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(blob);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  /** The fingerprint of the key in an OpenSSH public key line ({@code type base64 [comment]}). */
  public static String fingerprintOfLine(String line) {
    return fingerprint(pinnedBlob(line));
  }

  private static String pinnedType(String line) {
    return line.trim().split("\\s+")[0];
  }

  private static byte[] pinnedBlob(String line) {
    String[] parts = line.trim().split("\\s+");
    if (parts.length < 2) {
      throw new IllegalArgumentException(
          "a host key line must be 'ssh-ed25519 AAAA… [comment]', got " + line);
    }
    return Base64.getDecoder().decode(parts[1]);
  }
}
