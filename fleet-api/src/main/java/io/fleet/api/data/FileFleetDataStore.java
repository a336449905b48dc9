package io.fleet.api.data;

import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * A {@link FleetDataStore} in one file, with the atomic save and conflict detection of the
 * contract. Subclasses give the text format.
 *
 * <p>A save, like git's, first creates the lock file {@code .<name>.lock} beside the file (failing
 * if it exists: another save is under way, or one was killed), writes the new content into it and
 * forces it to disk, checks that the file still has the content this store last loaded or wrote (by
 * SHA-256, so no clock or file system granularity can hide a change), renames the lock file over
 * the file and forces the directory. A reader sees the old or the new content, never a mix; a
 * failed save leaves the old file and no lock file behind. The new file keeps the old file's POSIX
 * permissions. When the file is a symbolic link, the save writes through it: the link's target is
 * replaced atomically (its lock file beside it) and the link stays a link.
 */
public abstract class FileFleetDataStore implements FleetDataStore {
  private static final int MAX_LINKS = 40;

  private final Path path;

  /** What the file was when last loaded or saved by us; null before the first load. */
  private Snapshot known;

  /**
   * A store for the file at {@code path}, which need not exist yet.
   *
   * @throws FleetConfigException if {@code path} is null
   */
  protected FileFleetDataStore(Path path) {
    if (path == null) {
      throw new FleetConfigException("fleet data path is null");
    }
    this.path = path.toAbsolutePath().normalize();
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

  /**
   * {@inheritDoc}
   *
   * <p>Remembers the content read, so that {@link #save} can detect a change made since.
   */
  @Override
  public synchronized FleetData load() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      known = Snapshot.ABSENT;
      return foldJournal(FleetData.empty(), null);
    } catch (IOException e) {
      throw new FleetException(
          "cannot read fleet data " + path + ": " + e.getMessage() + "; check that it is readable",
          e);
    }
    FleetData data = decode(new String(bytes, StandardCharsets.UTF_8));
    known = new Snapshot(true, sha256(bytes));
    return foldJournal(data, bytes);
  }

  /** Saves the changes of a journal an interrupted run left beside the file, then deletes it. */
  private FleetData foldJournal(FleetData data, byte[] bytes) {
    FleetDataJournal journal = journal();
    java.util.Optional<FleetData> folded = journal.recover(data, bytes);
    if (folded.isEmpty()) {
      return data;
    }
    if (!folded.get().equals(data)) {
      save(folded.get());
    }
    journal.delete();
    return folded.get();
  }

  /** The journal beside the file; see {@link FleetDataJournal}. */
  public FleetDataJournal journal() {
    return FleetDataJournal.beside(path);
  }

  /**
   * Starts a new {@link FleetDataJournal} beside the file for the content this store last loaded or
   * saved: its changes apply on top of that content, and {@link #load()} folds them in if the run
   * that writes them is interrupted.
   *
   * @throws FleetConfigException if {@link #load()} was not called first
   */
  public synchronized FleetDataJournal startJournal() {
    if (known == null) {
      throw new FleetConfigException(
          "fleet data " + path + " was not loaded by this store: call load() before a journal");
    }
    FleetDataJournal j = journal();
    j.start(known.exists ? java.util.HexFormat.of().formatHex(known.sha256) : null);
    return j;
  }

  /**
   * {@inheritDoc}
   *
   * @throws FleetConfigException if {@link #load()} was not called first, the file changed on disk
   *     since, or another save holds the lock file
   * @throws FleetException if writing fails (the old file is then unchanged)
   */
  @Override
  public synchronized void save(FleetData data) {
    if (data == null) {
      throw new FleetConfigException("cannot save null fleet data to " + path);
    }
    checkUnchanged();
    byte[] bytes = encode(data).getBytes(StandardCharsets.UTF_8);
    Path target;
    try {
      target = target();
    } catch (IOException e) {
      throw new FleetException(
          "cannot save fleet data " + path + ": cannot follow its link: " + e.getMessage(), e);
    }
    Path dir = target.getParent();
    Path lock = target.resolveSibling("." + target.getFileName() + ".lock");
    boolean locked = false;
    try {
      Files.createDirectories(dir);
      createLock(lock);
      locked = true;
      writeTemp(lock, bytes);
      // Checked again under the lock: nothing of ours can change the file from here to the rename.
      checkUnchanged();
      try {
        Files.move(
            lock, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new FleetException("cannot replace " + path + " atomically on this file system", e);
      }
      locked = false;
      forceDirectory(dir);
      known = new Snapshot(true, sha256(bytes));
    } catch (IOException e) {
      throw new FleetException(
          "cannot save fleet data "
              + path
              + ": "
              + e
              + "; the previous file is unchanged; check the directory is writable and has space",
          e);
    } finally {
      if (locked) {
        try {
          Files.deleteIfExists(lock);
        } catch (IOException ignored) {
          // The save already failed; the lock file holds no secret plaintext, only fleet data.
        }
      }
    }
  }

  /**
   * The file a save replaces: {@link #path()}, or where its symbolic links lead (also when the last
   * link is dangling), so that a linked {@code fleet.nix} stays a link to the new content.
   */
  private Path target() throws IOException {
    Path p = path;
    for (int i = 0; Files.isSymbolicLink(p); i++) {
      if (i == MAX_LINKS) {
        throw new FleetConfigException(
            "fleet data "
                + path
                + " is a chain of more than "
                + MAX_LINKS
                + " symbolic links (a loop?); point it at a file");
      }
      Path link = Files.readSymbolicLink(p);
      p = p.getParent().resolve(link);
    }
    // The directory as it really is, so the lock file and the rename are beside the target.
    Path parent = p.getParent();
    return Files.exists(parent) ? parent.toRealPath().resolve(p.getFileName()) : p;
  }

  private void createLock(Path lock) throws IOException {
    Set<PosixFilePermission> perms = null;
    try {
      perms = Files.getPosixFilePermissions(path);
    } catch (NoSuchFileException | UnsupportedOperationException e) {
      // A new file, or no POSIX permissions here: the umask decides.
    }
    try {
      if (perms == null) {
        Files.createFile(lock);
      } else {
        Files.createFile(lock, PosixFilePermissions.asFileAttribute(perms));
        // The umask may have removed bits the old file had.
        Files.setPosixFilePermissions(lock, perms);
      }
    } catch (FileAlreadyExistsException e) {
      throw new FleetConfigException(
          "cannot save fleet data "
              + path
              + ": the lock file "
              + lock
              + " exists, so another process is saving it; if none is (one was killed), delete the lock file and retry");
    }
  }

  /**
   * Writes the new content to the temporary (lock) file, which exists and is empty, and forces it
   * to disk. Tests override this to simulate a failure part way through a save.
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
    byte[] current;
    try {
      current = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      if (known.exists) {
        throw new FleetConfigException(
            "fleet data "
                + path
                + " was deleted since it was loaded; load it again and reapply your change");
      }
      return;
    } catch (IOException e) {
      throw new FleetException("cannot check fleet data " + path + ": " + e.getMessage(), e);
    }
    if (!known.exists) {
      throw new FleetConfigException(
          "fleet data "
              + path
              + " was created by someone else since it was loaded; load it again and reapply your change");
    }
    if (!MessageDigest.isEqual(sha256(current), known.sha256)) {
      throw new FleetConfigException(
          "fleet data "
              + path
              + " changed on disk since it was loaded (another process or a git checkout?); refusing to overwrite it: load it again and reapply your change");
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static final class Snapshot {
    static final Snapshot ABSENT = new Snapshot(false, null);
    final boolean exists;
    final byte[] sha256;

    Snapshot(boolean exists, byte[] sha256) {
      this.exists = exists;
      this.sha256 = sha256;
    }
  }
}
