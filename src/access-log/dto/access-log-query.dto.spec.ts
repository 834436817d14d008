import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';

import { AccessLogQueryDto } from './access-log-query.dto.js';

async function failingFields(query: Record<string, unknown>): Promise<string[]> {
  return (await validate(plainToInstance(AccessLogQueryDto, query), { forbidUnknownValues: true })).map(
    (e) => e.property,
  );
}

describe('AccessLogQueryDto', () => {
  it('takes the shared page bounds and keeps its own, tighter cursor bound', async () => {
    expect(await failingFields({ limit: '100', cursor: 'c'.repeat(200) })).toEqual([]);
    expect(await failingFields({ cursor: 'c'.repeat(201) })).toEqual(['cursor']);
    expect(await failingFields({ limit: '501' })).toEqual(['limit']);
    expect(await failingFields({ limit: '0' })).toEqual(['limit']);
  });
});
