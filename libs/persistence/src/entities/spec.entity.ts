import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A submitted document, stored as received; work messages carry only its task's id. */
@Entity({ name: 'specs' })
export class SpecEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') tenant!: string;
  @Column('text') sha256!: string;
  @Column('int') bytes!: number;
  @Column('bytea') content!: Buffer;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
