package io.fleet.api.data;

import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A {@link FleetDataStore} in one file, with the atomic save and conflict detection of the
 * contract: a save writes a temporary file in the same directory, forces it to disk, gives it the
 * permissions of the file it replaces, renames it over the file and forces the directory; before
 * that it checks that the file is what this store last loaded or wrote (by SHA-256 of the content).
 * Subclasses give the text format.
 */
public abstract class FileFleetDataStore implements FleetDataStore {
  private final Path path;

  /** What the file was when last loaded or saved by us; null before the first load. */
  private Snapshot known;

  protected FileFleetDataStore(Path path) {
    this.path = Objects.requireNonNull(path, "path").toAbsolutePath();
  }

  /** The file. */
  public Path path() {
    return path;
  }

  /**
   * Parses the file's text.
   *
   * @throws FleetConfigException if it is malformed
   */
  protected abstract FleetData decode(String text);

  /** Formats {@code data} as the file's text. */
  protected abstract String encode(FleetData data);

  @Override
  public synchronized FleetData load() {
    try {
      byte[] bytes = Files.readAllBytes(path);
      BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
      FleetData data = decode(new String(bytes, StandardCharsets.UTF_8));
      known = new Snapshot(true, attrs, sha256(bytes));
      return data;
    } catch (NoSuchFileException e) {
      known = Snapshot.ABSENT;
      return FleetData.empty();
    } catch (IOException e) {
      throw new FleetException("cannot read fleet data " + path + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void save(FleetData data) {
    checkUnchanged();
    byte[] bytes = encode(data).getBytes(StandardCharsets.UTF_8);
    Path dir = path.getParent();
    Path tmp = null;
    try {
      Files.createDirectories(dir);
      tmp = Files.createTempFile(dir, "." + path.getFileName() + ".", ".tmp");
      writeTemp(tmp, bytes);
      keepPermissions(tmp);
      try {
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new FleetException("cannot replace " + path + " atomically on this file system", e);
      }
      tmp = null;
      forceDirectory(dir);
      known =
          new Snapshot(true, Files.readAttributes(path, BasicFileAttributes.class), sha256(bytes));
    } catch (IOException e) {
      throw new FleetException(
          "cannot save fleet data "
              + path
              + ": "
              + e.getMessage()
              + "; the previous file is unchanged",
          e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // The save already failed; the stray temporary file holds no secret plaintext.
        }
      }
    }
  }

  /**
   * Writes the new content to the temporary file and forces it to disk. Tests override this to
   * simulate a failure part way through a save.
   */
  protected void writeTemp(Path tmp, byte[] bytes) throws IOException {
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(bytes);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }

  /**
   * Gives the temporary file the permissions of the file it replaces (a temporary file is created
   * readable by its owner only), so a save does not change who can read the file.
   */
  private void keepPermissions(Path tmp) throws IOException {
    if (Files.exists(path) && Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(tmp, Files.getPosixFilePermissions(path));
    }
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot sync a directory; the rename itself is still atomic.
    }
  }

  private void checkUnchanged() {
    if (known == null) {
      throw new FleetConfigException(
          "fleet data "
              + path
              + " was not loaded by this store: call load() before save() so a concurrent change can be detected");
    }
    try {
      if (!Files.exists(path)) {
        if (known.exists) {
          throw new FleetConfigException(
              "fleet data "
                  + path
                  + " was deleted since it was loaded; load it again and reapply your change");
        }
        return;
      }
      if (!known.exists) {
        throw new FleetConfigException(
            "fleet data "
                + path
                + " was created by someone else since it was loaded; load it again and reapply your change");
      }
      // Always compare the content: size, time and inode can all stay the same across an edit
      // (in place, within one tick of a coarse file system clock, or between our read and stat).
      if (!Arrays.equals(sha256(Files.readAllBytes(path)), known.sha256)) {
        throw new FleetConfigException(
            "fleet data "
                + path
                + " changed on disk since it was loaded (another process or a git checkout?); refusing to overwrite it: load it again and reapply your change");
      }
    } catch (IOException e) {
      throw new FleetException("cannot check fleet data " + path + ": " + e.getMessage(), e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final class Snapshot {
    static final Snapshot ABSENT = new Snapshot(false, null, null);
    final boolean exists;
    final long size;
    final java.time.Instant modified;
    final Object fileKey;
    final byte[] sha256;

    Snapshot(boolean exists, BasicFileAttributes attrs, byte[] sha256) {
      this.exists = exists;
      this.size = attrs == null ? -1 : attrs.size();
      this.modified = attrs == null ? null : attrs.lastModifiedTime().toInstant();
      this.fileKey = attrs == null ? null : attrs.fileKey();
      this.sha256 = sha256;
    }
  }
}
