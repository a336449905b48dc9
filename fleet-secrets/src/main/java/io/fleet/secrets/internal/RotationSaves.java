package io.fleet.secrets.internal;

import io.fleet.api.data.FileFleetDataStore;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.FleetDataJournal;
import io.fleet.api.data.FleetDataStore;
import java.util.List;

/**
 * How a rotation makes each finished secret durable. {@link #immediate} saves the whole data file
 * after every change (any {@link FleetDataStore}). {@link #journaled} appends the change to the
 * {@link FleetDataJournal} beside a file store (small appends, one fsync for all the changes that
 * finished together) and saves the file once every {@code foldEvery} changes and at the end; if the
 * run dies in between, the store's next {@code load()} folds the journal in. Either way nothing
 * finished is lost.
 */
abstract class RotationSaves {
  /** Makes {@code changes}, whose result is {@code updated}, durable (in one sync if it can). */
  abstract void record(List<FleetDataJournal.Change> changes, FleetData updated);

  /** Saves what is not in the data file yet ({@code latest}); called once, also after a failure. */
  abstract void finish(FleetData latest);

  /** Saves after every change. */
  static RotationSaves immediate(FleetDataStore store) {
    return new RotationSaves() {
      @Override
      void record(List<FleetDataJournal.Change> changes, FleetData updated) {
        store.save(updated);
      }

      @Override
      void finish(FleetData latest) {}
    };
  }

  /** Journals every change; saves the file every {@code foldEvery} changes and at the end. */
  static RotationSaves journaled(FileFleetDataStore store, int foldEvery) {
    return new Journaled(store, foldEvery);
  }

  /** The journaled saves of a file store. */
  private static final class Journaled extends RotationSaves {
    private final FileFleetDataStore store;
    private final int foldEvery;
    private FleetDataJournal journal;

    Journaled(FileFleetDataStore store, int foldEvery) {
      this.store = store;
      this.foldEvery = foldEvery;
    }

    @Override
    void record(List<FleetDataJournal.Change> changes, FleetData updated) {
      if (journal == null) {
        journal = store.startJournal();
      }
      journal.append(changes);
      if (journal.size() >= foldEvery) {
        fold(updated);
      }
    }

    @Override
    void finish(FleetData latest) {
      if (journal != null) {
        fold(latest);
      }
    }

    private void fold(FleetData latest) {
      try {
        store.save(latest);
      } finally {
        // Saved: the journal's changes are in the file. Not saved: keep it for the next load.
        journal.close();
      }
      journal.delete();
      journal = null;
    }
  }
}
