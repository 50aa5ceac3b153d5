import { Body, Controller, Post } from '@nestjs/common';

/** Another route of the application, whose JSON bodies Nest parses as usual. */
@Controller('api')
export class EchoController {
  @Post('echo')
  echo(@Body() body: unknown): { received: unknown } {
    return { received: body };
  }
}
