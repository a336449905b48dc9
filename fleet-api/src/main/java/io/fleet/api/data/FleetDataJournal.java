package io.fleet.api.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import io.fleet.api.FleetJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only journal beside a fleet data file ({@code .<name>.journal}), so that a long run of
 * changes (a rotation of thousands of secrets) can make each finished change durable with one small
 * fsynced append instead of an atomic rewrite of the whole file, and fold them into the file in one
 * save at the end.
 *
 * <p>The journal holds exactly what the data file would: stored secrets as saved (private parts
 * encrypted), never plaintext. Its first record names the data file's content it applies to (by
 * SHA-256); every record carries its length and a CRC-32C, so a record torn by a crash (only the
 * last can be) is recognised and ignored. {@link FileFleetDataStore#load()} folds a journal left
 * behind by an interrupted run into the file (saving it, then deleting the journal), so nothing a
 * run finished is lost and nothing else needs to know about journals. Applying a record twice is
 * harmless (each sets or removes one secret), so a crash between the fold's save and the journal's
 * deletion is recovered too.
 *
 * <p>Not thread-safe: one writer (the run that owns the data file's store) at a time.
 */
public final class FleetDataJournal implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FleetDataJournal.class);
  private static final String ABSENT = "absent";
  private static final int FORMAT = 1;

  private final Path path;
  private FileChannel channel;
  private int records;

  private FleetDataJournal(Path path) {
    this.path = path;
  }

  /** The journal of the data file at {@code dataFile}: {@code .<name>.journal} beside it. */
  public static FleetDataJournal beside(Path dataFile) {
    Path p = dataFile.toAbsolutePath().normalize();
    return new FleetDataJournal(p.resolveSibling("." + p.getFileName() + ".journal"));
  }

  /** The journal file. */
  public Path path() {
    return path;
  }

  /** Whether the journal file exists. */
  public boolean exists() {
    return Files.exists(path);
  }

  /** How many changes this journal object has appended since it was started. */
  public int size() {
    return records;
  }

  // ------------------------------------------------------------------ writing

  /**
   * Starts a new journal for the data file whose content has SHA-256 {@code baseSha256} (hex; null
   * when the file does not exist yet), replacing any journal file there, and locks it so that no
   * other process folds it while it is in use. {@link FileFleetDataStore#startJournal()} calls this
   * with the content the store last loaded or saved.
   *
   * @throws FleetException if the journal cannot be written
   */
  void start(String baseSha256) {
    close();
    try {
      Files.deleteIfExists(path);
      channel =
          FileChannel.open(
              path,
              java.util.Set.of(
                  StandardOpenOption.CREATE_NEW,
                  StandardOpenOption.WRITE,
                  StandardOpenOption.APPEND),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      channel.lock();
      ObjectNode header = FleetJson.mapper().createObjectNode();
      header.put("journal", FORMAT);
      header.put("base", baseSha256 == null ? ABSENT : baseSha256);
      write(header);
      channel.force(false);
      forceDirectory(path.getParent());
      records = 0;
    } catch (IOException e) {
      throw failure("start", e);
    }
  }

  /** Whether {@link #start} was called (and the journal not since closed or deleted). */
  public boolean isStarted() {
    return channel != null;
  }

  /**
   * Appends {@code change} and forces it to disk: when this returns, the change survives a crash.
   *
   * @throws FleetConfigException if the journal was not started
   * @throws FleetException if it cannot be written
   */
  public void append(Change change) {
    append(List.of(change));
  }

  /**
   * Appends {@code changes} and forces them to disk with one sync (a group commit): when this
   * returns, they all survive a crash; a crash before leaves a prefix of them.
   *
   * @throws FleetConfigException if the journal was not started
   * @throws FleetException if it cannot be written
   */
  public void append(List<Change> changes) {
    if (channel == null) {
      throw new FleetConfigException("journal " + path + " was not started: call start(base)");
    }
    try {
      for (Change c : changes) {
        write(c.toJson());
      }
      channel.force(false);
      records += changes.size();
    } catch (IOException e) {
      throw failure("append to", e);
    }
  }

  /** Closes and deletes the journal file (after its changes were saved into the data file). */
  public void delete() {
    close();
    try {
      Files.deleteIfExists(path);
      forceDirectory(path.getParent());
    } catch (IOException e) {
      throw failure("delete", e);
    }
  }

  /** Closes the journal file, keeping it; idempotent. */
  @Override
  public void close() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing journal {}: {}", path, e.toString());
      }
      channel = null;
    }
  }

  private void write(JsonNode node) throws IOException {
    byte[] json = FleetJson.mapper().writer().writeValueAsBytes(node);
    CRC32C crc = new CRC32C();
    crc.update(json);
    String head = String.format("%08x %08x ", json.length, crc.getValue());
    ByteBuffer buf = ByteBuffer.allocate(head.length() + json.length + 1);
    buf.put(head.getBytes(StandardCharsets.US_ASCII)).put(json).put((byte) '\n').flip();
    while (buf.hasRemaining()) {
      channel.write(buf);
    }
  }

  // ------------------------------------------------------------------ reading

  /**
   * Folds a journal left behind into {@code data}, the content of the data file ({@code bytes},
   * null when the file is absent), and returns the result: empty when there is no journal or it is
   * in use (locked by a running rotation), {@code data} itself for an empty or torn one. Does not
   * write anything.
   *
   * @throws FleetConfigException if the journal was written for another content of the data file
   *     and its changes are not in the file already (the file was replaced after a crashed run)
   */
  public Optional<FleetData> recover(FleetData data, byte[] bytes) {
    if (channel != null) {
      return Optional.empty(); // our own journal, in use
    }
    byte[] journal;
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
      java.nio.channels.FileLock lock;
      try {
        lock = ch.tryLock(0, Long.MAX_VALUE, true);
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        LOG.info("journal {} is in use by a running rotation; not folding it", path);
        return Optional.empty();
      }
      journal = java.nio.channels.Channels.newInputStream(ch).readAllBytes();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw failure("read", e);
    }
    List<JsonNode> nodes = parse(journal);
    if (nodes.isEmpty()) {
      return Optional.of(data); // only a torn header: nothing was journaled
    }
    JsonNode header = nodes.get(0);
    if (header.path("journal").asInt() != FORMAT || !header.path("base").isTextual()) {
      throw new FleetConfigException(
          "journal "
              + path
              + " is not a fleet data journal of format "
              + FORMAT
              + ": move it away if it is not ours");
    }
    FleetData folded = data;
    for (JsonNode n : nodes.subList(1, nodes.size())) {
      folded = Change.fromJson(n, path).applyTo(folded);
    }
    String base = header.get("base").asText();
    String current = bytes == null ? ABSENT : sha256Hex(bytes);
    if (!base.equals(current) && !folded.equals(data)) {
      throw new FleetConfigException(
          "journal "
              + path
              + " holds "
              + (nodes.size() - 1)
              + " change(s) of an interrupted run made on another version of "
              + path.getFileName().toString().replaceFirst("^\\.(.*)\\.journal$", "$1")
              + " than the one there now (was it replaced, e.g. by a git checkout?): restore"
              + " that version and load again to fold them in, or delete the journal to drop"
              + " them (it holds only encrypted secrets); then run the rotation again");
    }
    if (nodes.size() > 1) {
      LOG.info("folding {} change(s) from journal {}", nodes.size() - 1, path);
    }
    return Optional.of(folded);
  }

  /** The valid records of {@code journal}, in order, up to the first torn or corrupt one. */
  private List<JsonNode> parse(byte[] journal) {
    List<JsonNode> nodes = new ArrayList<>();
    ObjectMapper mapper = FleetJson.mapper();
    int pos = 0;
    while (pos < journal.length) {
      if (journal.length - pos < 18) {
        return torn(nodes, pos);
      }
      int len;
      long crc;
      try {
        String head = new String(journal, pos, 18, StandardCharsets.US_ASCII);
        if (head.charAt(8) != ' ' || head.charAt(17) != ' ') {
          return torn(nodes, pos);
        }
        len = Integer.parseUnsignedInt(head.substring(0, 8), 16);
        crc = Long.parseLong(head.substring(9, 17), 16);
      } catch (NumberFormatException e) {
        return torn(nodes, pos);
      }
      int start = pos + 18;
      if (len < 0 || journal.length - start < (long) len + 1 || journal[start + len] != '\n') {
        return torn(nodes, pos);
      }
      CRC32C c = new CRC32C();
      c.update(journal, start, len);
      if (c.getValue() != crc) {
        return torn(nodes, pos);
      }
      try {
        nodes.add(mapper.readTree(journal, start, len));
      } catch (IOException e) {
        return torn(nodes, pos);
      }
      pos = start + len + 1;
    }
    return nodes;
  }

  private List<JsonNode> torn(List<JsonNode> nodes, int pos) {
    LOG.warn(
        "journal {}: the record at byte {} is incomplete or corrupt (a crash while writing it);"
            + " it and anything after it are ignored",
        path,
        pos);
    return nodes;
  }

  private FleetException failure(String what, IOException e) {
    return new FleetException(
        "cannot "
            + what
            + " the journal "
            + path
            + ": "
            + e
            + "; check that the directory is writable and has space",
        e);
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory.
    }
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "FleetDataJournal{" + path + "}";
  }

  /** One journaled change: a shared or host secret set to a stored value, or removed. */
  public static final class Change {
    private final String host; // null for a shared secret
    private final String name;
    private final SharedSecretData shared; // for a shared secret that is set
    private final StoredSecret secret; // for a host secret that is set

    private Change(String host, String name, SharedSecretData shared, StoredSecret secret) {
      this.host = host;
      this.name = Objects.requireNonNull(name, "name");
      this.shared = shared;
      this.secret = secret;
    }

    /** Sets shared secret {@code name} to {@code value}. */
    public static Change sharedSecret(String name, SharedSecretData value) {
      return new Change(null, name, Objects.requireNonNull(value, "value"), null);
    }

    /** Removes shared secret {@code name}. */
    public static Change withoutSharedSecret(String name) {
      return new Change(null, name, null, null);
    }

    /** Sets secret {@code name} of {@code host} to {@code value}. */
    public static Change hostSecret(String host, String name, StoredSecret value) {
      return new Change(
          Objects.requireNonNull(host, "host"), name, null, Objects.requireNonNull(value));
    }

    /** Removes secret {@code name} of {@code host}. */
    public static Change withoutHostSecret(String host, String name) {
      return new Change(Objects.requireNonNull(host, "host"), name, null, null);
    }

    /** {@code data} with this change made. */
    public FleetData applyTo(FleetData data) {
      if (host == null) {
        return shared != null
            ? data.withSharedSecret(name, shared)
            : data.withoutSharedSecret(name);
      }
      return secret != null
          ? data.withHostSecret(host, name, secret)
          : data.withoutHostSecret(host, name);
    }

    JsonNode toJson() {
      ObjectMapper m = FleetJson.mapper();
      ObjectNode n = m.createObjectNode();
      if (host != null) {
        n.put("host", host);
      }
      n.put("name", name);
      if (shared != null) {
        n.set("shared", m.valueToTree(shared));
      } else if (secret != null) {
        n.set("secret", m.valueToTree(secret));
      } else {
        n.put("remove", true);
      }
      return n;
    }

    static Change fromJson(JsonNode n, Path journal) {
      try {
        ObjectMapper m = FleetJson.mapper();
        String host = n.hasNonNull("host") ? n.get("host").asText() : null;
        String name = n.get("name").asText();
        SharedSecretData shared =
            n.has("shared") ? m.treeToValue(n.get("shared"), SharedSecretData.class) : null;
        StoredSecret secret =
            n.has("secret") ? m.treeToValue(n.get("secret"), StoredSecret.class) : null;
        if (host == null && secret != null || host != null && shared != null) {
          throw new IllegalArgumentException("a shared secret with a host, or the reverse");
        }
        return new Change(host, name, shared, secret);
      } catch (IOException | RuntimeException e) {
        throw new FleetConfigException(
            "journal "
                + journal
                + " has a record that is not a fleet data change ("
                + e.getMessage()
                + "): move it away if it is not ours");
      }
    }

    @Override
    public String toString() {
      return (shared == null && secret == null ? "remove " : "set ")
          + (host == null ? "shared secret " : "secret of " + host + " ")
          + name;
    }
  }
}
