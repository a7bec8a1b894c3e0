import { Command } from '@oclif/core';

export default class Version extends Command {
  static override description = 'Print the moe version.';
  static override enableJsonFlag = true;

  async run(): Promise<{ version: string }> {
    await this.parse(Version);
    const version = this.config.version;
    this.log(`moe ${version}`);
    return { version };
  }
}
