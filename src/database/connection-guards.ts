import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

interface PooledClient {
  getTransactionStatus?: () => string | null;
  /** pg-pool's de facto interface ("TODO: expose a proper public interface _queryable and _ending"). */
  _ending?: boolean;
}

interface EventedPool {
  on(event: 'release', listener: (error: Error | undefined, client: PooledClient) => void): unknown;
}

/**
 * No connection goes back to the pool inside a transaction. A caller whose ROLLBACK failed on a
 * connection that stayed alive (a query timeout, DropTimedOutConnections) would otherwise leave
 * its uncommitted rows on it, and the next borrower's statements — acknowledged writes included —
 * would run in that transaction and vanish with it, or commit the failed caller's rows with
 * theirs (found by the hung-database test for the ledger's group connection). pg-pool announces
 * each release before deciding whether to keep the connection; one still in a transaction
 * (`getTransactionStatus`: 'T', or 'E' for a failed one) is marked as ending there, so the pool
 * closes and drops it instead.
 */
@Injectable()
export class ConnectionGuards implements OnApplicationBootstrap {
  private readonly logger = new Logger(ConnectionGuards.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    const pool = (this.dataSource.driver as unknown as { master?: EventedPool }).master;
    pool?.on('release', (error, client) => {
      const status = client.getTransactionStatus?.() ?? null;
      if (error === undefined && (status === 'T' || status === 'E')) {
        this.logger.warn(
          `a connection came back to the pool inside a transaction (status ${status}): closed, not reused`,
        );
        client._ending = true;
      }
    });
  }
}
