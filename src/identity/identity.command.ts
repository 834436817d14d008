import { parseArgs } from 'node:util';

import { DataSource } from 'typeorm';

import { AccessLogService } from '../access-log/access-log.service.js';
import { ROLES, systemContext, type Role } from '../common/request-context.js';
import { dataSourceOptions } from '../database/data-source.js';
import { LanguageUnsupportedError } from '../i18n/language.errors.js';
import { findAgencyByCode, insertAgency, updateAgencyLanguage } from './agencies/agencies.service.js';
import { generatePassword } from './passwords/password-hasher.js';
import { insertUser, userSubject } from './users/users.service.js';

export const IDENTITY_USAGE = `  user create --username <name> --display-name <printed name> (--agency <CODE> | --platform-admin)
              --roles <role,role> [--password-stdin]
                      create a user; without --password-stdin a password is generated and printed
                      once, and must be changed at first login
  agency create --code <ES-PN> --name <name> --country <ES> [--language <es>]
                      create an agency; its reports and labels are printed in --language
                      (en, es, pt-BR, pt-PT), by default its country's courts' language, else en
  agency set-language --code <ES-PN> --language <es>
                      change the language of an agency's reports and labels
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
    options: {
      code: { type: 'string' },
      name: { type: 'string' },
      country: { type: 'string' },
      language: { type: 'string' },
    },
    strict: true,
  });
  if (!values.code || !values.name || !values.country) {
    io.err('custos agency create: --code, --name and --country are required');
    return 64;
  }
  return withAppDataSource(appUrl, async (dataSource) => {
    const accessLog = new AccessLogService(dataSource);
    const agency = await dataSource.transaction(async (em) => {
      const created = await insertAgency(em, {
        code: values.code!,
        name: values.name!,
        country: values.country!,
        language: values.language,
      });
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
    io.out(`created agency ${agency.code} (${agency.name}, ${agency.country}, ${agency.language}) ${agency.id}`);
    return 0;
  });
}

export async function runAgencySetLanguage(args: string[], appUrl: string, io: Output): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { code: { type: 'string' }, language: { type: 'string' } },
    strict: true,
  });
  if (!values.code || !values.language) {
    io.err('custos agency set-language: --code and --language are required');
    return 64;
  }
  return withAppDataSource(appUrl, async (dataSource) => {
    const accessLog = new AccessLogService(dataSource);
    try {
      const updated = await dataSource.transaction(async (em) => {
        const result = await updateAgencyLanguage(em, values.code!, values.language!);
        if (result === undefined) return undefined;
        await accessLog.record(
          systemContext('cli'),
          {
            event: 'agency.update',
            outcome: 'success',
            subject: { type: 'agency', id: result.agency.id, label: result.agency.code, agencyId: result.agency.id },
            details: { via: 'command line', language: { from: result.previous, to: result.agency.language } },
          },
          em,
        );
        return result;
      });
      if (updated === undefined) {
        io.err(`custos agency set-language: there is no agency ${values.code}`);
        return 1;
      }
      io.out(`agency ${updated.agency.code} now prints in ${updated.agency.language} (was ${updated.previous})`);
      return 0;
    } catch (error) {
      if (!(error instanceof LanguageUnsupportedError)) throw error;
      io.err(`custos agency set-language: ${error.message}`);
      return 64;
    }
  });
}
