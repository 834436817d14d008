import { parseArgs } from 'node:util';

import { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { ROLES, systemContext, type Role } from '../common/request-context.js';
import { dataSourceOptions } from '../database/data-source.js';
import { findAgencyByCode, insertAgency } from './agencies/agencies.service.js';
import { generatePassword } from './passwords/password-hasher.js';
import { insertUser, userSubject } from './users/users.service.js';

export const IDENTITY_USAGE = `  user create --username <name> --display-name <printed name> (--agency <CODE> | --platform-admin)
              --roles <role,role> [--password-stdin]
                      create a user; without --password-stdin a password is generated and printed
                      once, and must be changed at first login
  agency create --code <ES-PN> --name <name> --country <ES>
                      create an agency
`;

interface Output {
  out(message: string): void;
  err(message: string): void;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += (chunk as Buffer).toString('utf8');
  return text.replace(/\r?\n$/, '');
}

async function withAppDataSource<T>(appUrl: string, work: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const dataSource = new DataSource(dataSourceOptions({ url: appUrl, poolSize: 1, applicationName: 'custos-cli' }));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

/** `custos user create …`, writing as the service's role, logged as done by the system (the command line). */
export async function runUserCreate(
  args: string[],
  appUrl: string,
  io: Output,
  readPassword: () => Promise<string> = readStdin,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      username: { type: 'string' },
      'display-name': { type: 'string' },
      agency: { type: 'string' },
      roles: { type: 'string' },
      'platform-admin': { type: 'boolean', default: false },
      'password-stdin': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const platformAdmin = values['platform-admin'] === true;
  const roles = (values.roles ?? (platformAdmin ? 'admin' : ''))
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
  const unknownRoles = roles.filter((role) => !(ROLES as readonly string[]).includes(role));
  if (
    !values.username ||
    !values['display-name'] ||
    roles.length === 0 ||
    (values.agency === undefined && !platformAdmin)
  ) {
    io.err('custos user create: --username, --display-name, --roles and --agency (or --platform-admin) are required');
    return 64;
  }
  if (unknownRoles.length > 0) {
    io.err(`custos user create: unknown role(s) ${unknownRoles.join(', ')}; roles are ${ROLES.join(', ')}`);
    return 64;
  }
  const chosen = values['password-stdin'] === true ? await readPassword() : undefined;
  const password = chosen ?? generatePassword();
  return withAppDataSource(appUrl, async (dataSource) => {
    const agency = values.agency === undefined ? undefined : await findAgencyByCode(dataSource, values.agency);
    if (values.agency !== undefined && agency === undefined) {
      io.err(`custos user create: there is no agency ${values.agency}`);
      return 1;
    }
    const accessLog = new AccessLogService(dataSource);
    const user = await dataSource.transaction(async (em) => {
      const created = await insertUser(em, {
        username: values.username!,
        displayName: values['display-name']!,
        agencyId: agency?.id ?? null,
        roles: roles as Role[],
        platformAdmin,
        password,
        mustChangePassword: chosen === undefined,
      });
      await accessLog.record(
        systemContext('cli'),
        {
          event: 'user.create',
          outcome: 'success',
          subject: userSubject(created),
          details: { via: 'command line', roles, platformAdmin },
        },
        em,
      );
      return created;
    });
    io.out(
      `created user ${user.username} (${user.id}) in ${agency?.code ?? 'no agency (platform administrator)'} with roles ${user.roles.join(', ')}`,
    );
    if (chosen === undefined)
      io.out(`one-time password: ${password}\n(shown only now; it must be changed at first login)`);
    return 0;
  });
}

export async function runAgencyCreate(args: string[], appUrl: string, io: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { code: { type: 'string' }, name: { type: 'string' }, country: { type: 'string' } },
    strict: true,
  });
  if (!values.code || !values.name || !values.country) {
    io.err('custos agency create: --code, --name and --country are required');
    return 64;
  }
  return withAppDataSource(appUrl, async (dataSource) => {
    const accessLog = new AccessLogService(dataSource);
    const agency = await dataSource.transaction(async (em) => {
      const created = await insertAgency(em, { code: values.code!, name: values.name!, country: values.country! });
      await accessLog.record(
        systemContext('cli'),
        {
          event: 'agency.create',
          outcome: 'success',
          subject: { type: 'agency', id: created.id, label: created.code, agencyId: created.id },
          details: { via: 'command line' },
        },
        em,
      );
      return created;
    });
    io.out(`created agency ${agency.code} (${agency.name}, ${agency.country}) ${agency.id}`);
    return 0;
  });
}
