import { DynamicModule, Module } from '@nestjs/common';
import { ParseWorkController } from './parse-work.controller';
import { SPEC_PARSER_CONFIG, SpecParserConfig } from './spec-parser.config';
import { SpecParserService } from './spec-parser.service';

/** The spec-parser's feature: `work.parse` -> parsing + foundation stages -> `work.enhance`. */
@Module({})
export class SpecParserModule {
  static forRoot(config: SpecParserConfig): DynamicModule {
    return {
      module: SpecParserModule,
      controllers: [ParseWorkController],
      providers: [SpecParserService, { provide: SPEC_PARSER_CONFIG, useValue: config }],
    };
  }
}
