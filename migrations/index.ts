import type { MigrationInterface } from 'typeorm';

import { Baseline1795917581347 } from './1795917581347-Baseline.js';
import { Ledger1795918824383 } from './1795918824383-Ledger.js';
import { Identity1795920519294 } from './1795920519294-Identity.js';
import { Cases1795920547515 } from './1795920547515-Cases.js';
import { Custody1795929517334 } from './1795929517334-Custody.js';
import { ReportLookup1795940000000 } from './1795940000000-ReportLookup.js';
import { UserTimeZone1795944843296 } from './1795944843296-UserTimeZone.js';
import { CaseStatus1795944940827 } from './1795944940827-CaseStatus.js';
import { ItemSearchStatistics1795945748744 } from './1795945748744-ItemSearchStatistics.js';
import { LedgerVerification1795946700000 } from './1795946700000-LedgerVerification.js';
import { UserTimeZoneChange1795946800000 } from './1795946800000-UserTimeZoneChange.js';
import { LedgerStateAdvancesOnly1795947100000 } from './1795947100000-LedgerStateAdvancesOnly.js';
import { LedgerMonitor1795947200000 } from './1795947200000-LedgerMonitor.js';
import { PasswordThrottle1796002000010 } from './1796002000010-PasswordThrottle.js';
import { IdempotencyKeys1796002000020 } from './1796002000020-IdempotencyKeys.js';
import { WitnessLog1796003000001 } from './1796003000001-WitnessLog.js';
import { LedgerWitnessing1796003000002 } from './1796003000002-LedgerWitnessing.js';
import { LedgerTimestamps1796004000001 } from './1796004000001-LedgerTimestamps.js';
import { TransferHandOverTimes1796004100001 } from './1796004100001-TransferHandOverTimes.js';
import { AgencyLanguage1796004200001 } from './1796004200001-AgencyLanguage.js';
import { SessionChangeNotifications1796004300001 } from './1796004300001-SessionChangeNotifications.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed so the service, the migration
 * command and the tests (which run TypeScript directly) load exactly the same set.
 */
export const migrations: Array<new () => MigrationInterface> = [
  Baseline1795917581347,
  Ledger1795918824383,
  Identity1795920519294,
  Cases1795920547515,
  Custody1795929517334,
  ReportLookup1795940000000,
  UserTimeZone1795944843296,
  CaseStatus1795944940827,
  ItemSearchStatistics1795945748744,
  LedgerVerification1795946700000,
  UserTimeZoneChange1795946800000,
  LedgerStateAdvancesOnly1795947100000,
  LedgerMonitor1795947200000,
  PasswordThrottle1796002000010,
  IdempotencyKeys1796002000020,
  WitnessLog1796003000001,
  LedgerWitnessing1796003000002,
  LedgerTimestamps1796004000001,
  TransferHandOverTimes1796004100001,
  AgencyLanguage1796004200001,
  SessionChangeNotifications1796004300001,
];
