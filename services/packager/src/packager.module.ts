import { DynamicModule, Module } from '@nestjs/common';
import { PackageWorkController } from './package-work.controller';
import { PACKAGER_CONFIG, PackagerConfig } from './packager.config';
import { PackagerService } from './packager.service';

/** The packager's feature: `work.package` -> ZIP stored -> terminal `completed` event. */
@Module({})
export class PackagerModule {
  static forRoot(config: PackagerConfig): DynamicModule {
    return {
      module: PackagerModule,
      controllers: [PackageWorkController],
      providers: [PackagerService, { provide: PACKAGER_CONFIG, useValue: config }],
    };
  }
}
