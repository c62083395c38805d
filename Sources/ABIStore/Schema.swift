import GRDB

/// The store's schema as append-only named migrations: a released migration is never edited;
/// a change is a new migration after it. Constraints live in SQL so that no program, ours or
/// another, can record an impossible reading.
enum Schema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("2026-11-26 patients, exams, readings, journal, audit") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("2026-11-29 application id; no path around immutability") { db in
            try db.execute(sql: "PRAGMA application_id = \(Store.applicationId)")
            try db.execute(sql: v2)
        }
        migrator.registerMigration("2026-11-29 discarded exams") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("2026-11-29 the signed result is the record") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("2026-11-29 users of the web app") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("2026-11-29 the worklist by status") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("2026-11-30 the Doppler's sound of each site") { db in
            try db.execute(sql: v7)
        }
        return migrator
    }

    /// Each site's Doppler sound during its measurement (`abi capture --audio`): lossless FLAC
    /// with its SHA-256, the waveform's description and the abi-doppler/1 record of its analysis.
    /// Kept as recorded: never changed, and kept with a final exam.
    static let v7 = """
        CREATE TABLE dopplerSounds (
            id INTEGER PRIMARY KEY,
            examId INTEGER NOT NULL REFERENCES exams(id),
            sessionId INTEGER NOT NULL REFERENCES captureSessions(id),
            site TEXT NOT NULL CHECK (site IN (\(sites))),
            readingSeq INTEGER,
            recordedAt TEXT NOT NULL,
            sampleRate INTEGER NOT NULL CHECK (sampleRate IN (44100, 48000)),
            channels INTEGER NOT NULL CHECK (channels IN (1, 2)),
            seconds REAL NOT NULL CHECK (seconds > 0),
            flac BLOB NOT NULL,
            sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
            description TEXT NOT NULL,
            record TEXT NOT NULL
        ) STRICT;
        CREATE INDEX dopplerSoundsByExam ON dopplerSounds(examId, site);
        CREATE TRIGGER finalExamsTakeNoSounds BEFORE INSERT ON dopplerSounds
            WHEN (SELECT status FROM exams WHERE id = NEW.examId) = 'final'
            BEGIN SELECT RAISE(ABORT, 'a final exam takes no more recordings'); END;
        CREATE TRIGGER dopplerSoundsAreFixed BEFORE UPDATE ON dopplerSounds
            BEGIN SELECT RAISE(ABORT, 'a Doppler recording is kept as recorded'); END;
        CREATE TRIGGER dopplerSoundsOfFinalExamsAreKept BEFORE DELETE ON dopplerSounds
            WHEN (SELECT status FROM exams WHERE id = OLD.examId) = 'final'
            BEGIN SELECT RAISE(ABORT, 'the Doppler recordings of a final exam are kept'); END;
        """

    static let sites = "'rightBrachial','leftBrachial','rightPosteriorTibial','rightDorsalisPedis','leftPosteriorTibial','leftDorsalisPedis','rightToe','leftToe'"

    /// The web app's worklist lists exams of one status, newest first: without this index it
    /// reads every exam of the store to find the few in progress.
    static let v6 = """
        CREATE INDEX examsByStatus ON exams(status, performedAt, id);
        """

    /// Users of `abi serve`: a role each, a bcrypt hash (never the password), and the count of
    /// failed sign-ins since the last good one, with the time the account is locked until.
    static let v5 = """
        CREATE TABLE users (
            name TEXT PRIMARY KEY NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
            role TEXT NOT NULL CHECK (role IN ('technologist', 'physician', 'admin')),
            passwordHash TEXT NOT NULL CHECK (passwordHash GLOB '$2[aby]$*'),
            createdAt TEXT NOT NULL,
            failedSignIns INTEGER NOT NULL DEFAULT 0 CHECK (failedSignIns >= 0),
            lockedUntil TEXT
        ) STRICT;
        """

    static let v1 = """
        CREATE TABLE patients (
            id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 64),
            name TEXT CHECK (name IS NULL OR length(name) <= 200),
            birthDate TEXT CHECK (birthDate IS NULL OR (birthDate GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' AND date(birthDate, '+0 days') IS birthDate)),
            sex TEXT CHECK (sex IS NULL OR sex IN ('female', 'male', 'other', 'unknown')),
            diabetes INTEGER CHECK (diabetes IS NULL OR diabetes IN (0, 1)),
            createdAt TEXT NOT NULL
        ) STRICT;

        CREATE TABLE exams (
            id INTEGER PRIMARY KEY,
            patientId TEXT NOT NULL REFERENCES patients(id) ON DELETE RESTRICT,
            version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
            amends INTEGER REFERENCES exams(id) ON DELETE RESTRICT,
            status TEXT NOT NULL CHECK (status IN ('in-progress', 'preliminary', 'final')),
            performedAt TEXT NOT NULL CHECK (length(performedAt) >= 10),
            indication TEXT,
            operator TEXT,
            position TEXT,
            restMinutes INTEGER CHECK (restMinutes IS NULL OR restMinutes BETWEEN 0 AND 1440),
            postExercise INTEGER NOT NULL DEFAULT 0 CHECK (postExercise IN (0, 1)),
            postExerciseMinutes INTEGER CHECK (postExerciseMinutes IS NULL OR postExerciseMinutes BETWEEN 0 AND 1440),
            symptoms TEXT CHECK (symptoms IS NULL OR json_valid(symptoms)),
            prior TEXT CHECK (prior IS NULL OR json_valid(prior)),
            ruleSet TEXT NOT NULL,
            ankleMethod TEXT NOT NULL CHECK (ankleMethod IN ('higher', 'lower')),
            severityScheme TEXT NOT NULL CHECK (severityScheme IN ('common', 'nice')),
            firstArm TEXT CHECK (firstArm IS NULL OR firstArm IN ('right', 'left')),
            toes INTEGER NOT NULL DEFAULT 0 CHECK (toes IN (0, 1)),
            repeatDeclined INTEGER NOT NULL DEFAULT 0 CHECK (repeatDeclined IN (0, 1)),
            rightAbi INTEGER CHECK (rightAbi IS NULL OR rightAbi BETWEEN 0 AND 3000),
            leftAbi INTEGER CHECK (leftAbi IS NULL OR leftAbi BETWEEN 0 AND 3000),
            rightCategory TEXT CHECK (rightCategory IS NULL OR rightCategory IN ('normal', 'borderline', 'abnormal', 'noncompressible')),
            leftCategory TEXT CHECK (leftCategory IS NULL OR leftCategory IN ('normal', 'borderline', 'abnormal', 'noncompressible')),
            signedBy TEXT,
            signedAt TEXT,
            createdAt TEXT NOT NULL,
            CHECK ((status = 'final') = (signedBy IS NOT NULL AND signedAt IS NOT NULL)),
            CHECK ((amends IS NULL) = (version = 1))
        ) STRICT;
        CREATE INDEX examsByPatient ON exams(patientId, performedAt);
        -- Covers `abi exams list`: the list is read in time order without touching the table.
        CREATE INDEX examsByTime ON exams(performedAt, id, patientId, status, version, rightAbi, leftAbi, rightCategory, leftCategory);
        CREATE UNIQUE INDEX oneAmendmentPerVersion ON exams(amends) WHERE amends IS NOT NULL;

        CREATE TRIGGER finalExamsAreImmutable BEFORE UPDATE ON exams WHEN OLD.status = 'final'
        BEGIN SELECT RAISE(ABORT, 'a final exam cannot be changed; amend it instead'); END;
        CREATE TRIGGER finalExamsAreKept BEFORE DELETE ON exams WHEN OLD.status = 'final'
        BEGIN SELECT RAISE(ABORT, 'a final exam cannot be deleted'); END;

        CREATE TABLE readings (
            examId INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
            phase TEXT NOT NULL CHECK (phase IN ('rest', 'postExercise')),
            seq INTEGER NOT NULL CHECK (seq BETWEEN 0 AND 1000000),
            site TEXT NOT NULL CHECK (site IN (\(sites))),
            state TEXT NOT NULL CHECK (state IN ('numeric', 'absent', 'noncompressible', 'notMeasured', 'deviceError')),
            systolic INTEGER CHECK (systolic IS NULL OR systolic BETWEEN 1 AND 300),
            diastolic INTEGER CHECK (diastolic IS NULL OR diastolic BETWEEN 1 AND 300),
            map INTEGER CHECK (map IS NULL OR map BETWEEN 1 AND 300),
            pulse INTEGER CHECK (pulse IS NULL OR pulse BETWEEN 1 AND 300),
            atPressure INTEGER CHECK (atPressure IS NULL OR atPressure BETWEEN 1 AND 300),
            reason TEXT,
            errorCode TEXT,
            errorMessage TEXT,
            time TEXT,
            method TEXT CHECK (method IS NULL OR method IN ('doppler', 'oscillometric', 'auscultatory', 'ppg', 'manual-entry')),
            deviceProfile TEXT,
            deviceVendorId TEXT,
            deviceProductId TEXT,
            deviceSerial TEXT,
            devicePort TEXT,
            note TEXT,
            recordedAt TEXT NOT NULL,
            PRIMARY KEY (examId, phase, seq),
            CHECK ((state = 'numeric') = (systolic IS NOT NULL)),
            CHECK (state = 'numeric' OR (diastolic IS NULL AND map IS NULL AND pulse IS NULL)),
            CHECK (diastolic IS NULL OR diastolic < systolic),
            CHECK (map IS NULL OR (map <= systolic AND map >= coalesce(diastolic, 1))),
            CHECK (atPressure IS NULL OR state = 'noncompressible'),
            CHECK ((state = 'notMeasured') = (reason IS NOT NULL)),
            CHECK (state = 'deviceError' OR (errorCode IS NULL AND errorMessage IS NULL))
        ) STRICT, WITHOUT ROWID;

        CREATE TRIGGER readingsOfFinalExamsAreKept BEFORE DELETE ON readings
            WHEN (SELECT status FROM exams WHERE id = OLD.examId) = 'final'
        BEGIN SELECT RAISE(ABORT, 'the readings of a final exam cannot be changed; amend it instead'); END;
        CREATE TRIGGER readingsOfFinalExamsAreFixed BEFORE UPDATE ON readings
            WHEN (SELECT status FROM exams WHERE id = OLD.examId) = 'final'
        BEGIN SELECT RAISE(ABORT, 'the readings of a final exam cannot be changed; amend it instead'); END;
        CREATE TRIGGER finalExamsTakeNoReadings BEFORE INSERT ON readings
            WHEN (SELECT status FROM exams WHERE id = NEW.examId) = 'final'
        BEGIN SELECT RAISE(ABORT, 'a final exam takes no more readings; amend it instead'); END;

        CREATE TABLE captureSessions (
            id INTEGER PRIMARY KEY,
            examId INTEGER NOT NULL REFERENCES exams(id) ON DELETE CASCADE,
            startedAt TEXT NOT NULL,
            endedAt TEXT,
            port TEXT,
            profile TEXT,
            deviceSerial TEXT
        ) STRICT;

        CREATE TABLE deviceJournal (
            id INTEGER PRIMARY KEY,
            sessionId INTEGER NOT NULL REFERENCES captureSessions(id) ON DELETE CASCADE,
            port TEXT NOT NULL,
            receivedAt TEXT NOT NULL,
            bytes BLOB NOT NULL CHECK (length(bytes) > 0)
        ) STRICT;
        CREATE INDEX journalBySession ON deviceJournal(sessionId, id);

        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            patientId TEXT,
            examId INTEGER,
            detail TEXT
        ) STRICT;
        CREATE TRIGGER auditIsAppendOnly BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        CREATE TRIGGER auditIsKept BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
        """

    /// Closes every path an outside program could take around the rules of v1: `REPLACE`
    /// (its implicit delete fires no delete trigger) on exams, audit, patients, sessions and the
    /// journal; changes to patients, capture sessions, the device journal and the links between
    /// versions of an exam.
    static let v2 = """
        CREATE TRIGGER examsAreNotReplaced BEFORE INSERT ON exams WHEN EXISTS (SELECT 1 FROM exams WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'an exam cannot be replaced'); END;
        CREATE TRIGGER examIdentityIsFixed BEFORE UPDATE OF id, patientId, version, amends, performedAt, createdAt ON exams
            WHEN NEW.id IS NOT OLD.id OR NEW.patientId IS NOT OLD.patientId OR NEW.version IS NOT OLD.version
              OR NEW.amends IS NOT OLD.amends OR NEW.performedAt IS NOT OLD.performedAt OR NEW.createdAt IS NOT OLD.createdAt
        BEGIN SELECT RAISE(ABORT, 'an exam''s patient, time, version and the version it amends cannot change'); END;
        CREATE TRIGGER finalStaysFinal BEFORE UPDATE OF status ON exams WHEN OLD.status = 'final' AND NEW.status IS NOT 'final'
        BEGIN SELECT RAISE(ABORT, 'a final exam cannot change'); END;

        CREATE TRIGGER auditIsNotReplaced BEFORE INSERT ON audit WHEN EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

        CREATE TRIGGER patientsAreNotReplaced BEFORE INSERT ON patients WHEN EXISTS (SELECT 1 FROM patients WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'a patient cannot be replaced'); END;
        CREATE TRIGGER patientsWithExamsAreKept BEFORE DELETE ON patients WHEN EXISTS (SELECT 1 FROM exams WHERE patientId = OLD.id)
        BEGIN SELECT RAISE(ABORT, 'a patient with exams cannot be deleted'); END;
        CREATE TRIGGER patientIdIsFixed BEFORE UPDATE OF id ON patients WHEN NEW.id IS NOT OLD.id
        BEGIN SELECT RAISE(ABORT, 'a patient id cannot change'); END;
        -- A signed exam's header and its R18 threshold (diabetes) come from the patient: a signed
        -- report never changes, so neither do the details of a patient with a signed exam, not
        -- even a detail added where there was none.
        CREATE TRIGGER signedPatientsAreKept BEFORE UPDATE ON patients
            WHEN EXISTS (SELECT 1 FROM exams WHERE patientId = OLD.id AND status = 'final')
             AND (NEW.name IS NOT OLD.name OR NEW.birthDate IS NOT OLD.birthDate OR NEW.sex IS NOT OLD.sex
               OR NEW.diabetes IS NOT OLD.diabetes OR NEW.createdAt IS NOT OLD.createdAt)
        BEGIN SELECT RAISE(ABORT, 'the details of a patient with a signed exam cannot change'); END;

        CREATE TRIGGER sessionsAreNotReplaced BEFORE INSERT ON captureSessions WHEN EXISTS (SELECT 1 FROM captureSessions WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'a capture session cannot be replaced'); END;
        CREATE TRIGGER sessionsAreKept BEFORE DELETE ON captureSessions
        BEGIN SELECT RAISE(ABORT, 'a capture session is part of the record and cannot be deleted'); END;
        CREATE TRIGGER sessionsOnlyEnd BEFORE UPDATE ON captureSessions
            WHEN NEW.id IS NOT OLD.id OR NEW.examId IS NOT OLD.examId OR NEW.startedAt IS NOT OLD.startedAt OR NEW.port IS NOT OLD.port
              OR NEW.profile IS NOT OLD.profile OR NEW.deviceSerial IS NOT OLD.deviceSerial
              OR (OLD.endedAt IS NOT NULL AND NEW.endedAt IS NOT OLD.endedAt)
        BEGIN SELECT RAISE(ABORT, 'a capture session can only be ended, once'); END;

        CREATE TRIGGER journalIsNotReplaced BEFORE INSERT ON deviceJournal WHEN EXISTS (SELECT 1 FROM deviceJournal WHERE id = NEW.id)
        BEGIN SELECT RAISE(ABORT, 'the device journal is append-only'); END;
        CREATE TRIGGER journalIsFixed BEFORE UPDATE ON deviceJournal BEGIN SELECT RAISE(ABORT, 'the device journal is append-only'); END;
        CREATE TRIGGER journalIsKept BEFORE DELETE ON deviceJournal BEGIN SELECT RAISE(ABORT, 'the device journal is append-only'); END;
        """

    /// An exam entered in error, or a capture abandoned, is discarded: kept in the store and the
    /// audit trail, left out of lists of current exams, history, exports and R18. The list index
    /// covers the new column, so `abi exams list` still reads the index alone.
    static let v3 = """
        ALTER TABLE exams ADD COLUMN discardedAt TEXT;
        ALTER TABLE exams ADD COLUMN discardReason TEXT;
        DROP INDEX examsByTime;
        CREATE INDEX examsByTime ON exams(performedAt, id, patientId, status, version, rightAbi, leftAbi, rightCategory, leftCategory, discardedAt);
        CREATE TRIGGER discardedStaysDiscarded BEFORE UPDATE ON exams WHEN OLD.discardedAt IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a discarded exam is kept as it was'); END;
        CREATE TRIGGER discardedTakesNoReadings BEFORE INSERT ON readings
            WHEN (SELECT discardedAt FROM exams WHERE id = NEW.examId) IS NOT NULL
        BEGIN SELECT RAISE(ABORT, 'a discarded exam takes no readings'); END;
        """

    /// Why a version amends the one before (shown on its reports). The signer's conclusion and
    /// role. The result as signed
    /// (abi-result/1 with what it leaves out) and the prior exams it was compared with, written
    /// once at sign-off: a final exam's report never changes, whatever is
    /// imported later or however the rules change. (Exams signed before this migration have
    /// none; they are reported as recalculated.)
    static let v4 = """
        ALTER TABLE exams ADD COLUMN signedResult TEXT CHECK (signedResult IS NULL OR json_valid(signedResult));
        ALTER TABLE exams ADD COLUMN signedPrior TEXT CHECK (signedPrior IS NULL OR json_valid(signedPrior));
        ALTER TABLE exams ADD COLUMN amendReason TEXT CHECK (amendReason IS NULL OR length(amendReason) BETWEEN 1 AND 1000);
        ALTER TABLE exams ADD COLUMN conclusion TEXT CHECK (conclusion IS NULL OR length(conclusion) BETWEEN 1 AND 20000);
        ALTER TABLE exams ADD COLUMN signerRole TEXT CHECK (signerRole IS NULL OR length(signerRole) BETWEEN 1 AND 200);
        ALTER TABLE exams ADD COLUMN orderInfo TEXT CHECK (orderInfo IS NULL OR json_valid(orderInfo));
        CREATE TRIGGER signedResultOnlyWithTheSignature BEFORE UPDATE OF signedResult, signedPrior, conclusion, signerRole ON exams
            WHEN NEW.status IS NOT 'final' AND (NEW.signedResult IS NOT NULL OR NEW.signedPrior IS NOT NULL OR NEW.conclusion IS NOT NULL OR NEW.signerRole IS NOT NULL)
        BEGIN SELECT RAISE(ABORT, 'a result is frozen only when the exam is signed'); END;
        """
}
